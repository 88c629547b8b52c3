import path from 'node:path';
import { ferryError } from '../../errors/index.ts';
import { schemeOf } from './artifact-store.ts';
import { localPath } from './local-store.ts';

/**
 * Which artifact sources may be read: URI prefixes (`s3://bucket/models/`, `https://models.example.com/`) and
 * local folders (`/srv/models` or `file:///srv/models`). A prefix covers what is below it, never a sibling that
 * merely starts with the same letters (`/srv/models` does not cover `/srv/models-old`).
 */
export class SourceAllowList {
  readonly #folders: string[] = [];
  readonly #prefixes: string[] = [];

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      if (schemeOf(entry) === 'file') this.#folders.push(localPath(entry));
      else this.#prefixes.push(normalise(entry));
    }
  }

  allows(uri: string): boolean {
    if (schemeOf(uri) === 'file') {
      const target = localPath(uri);
      return this.#folders.some((folder) => target === folder || target.startsWith(folder.endsWith(path.sep) ? folder : folder + path.sep));
    }
    const target = normalise(uri);
    return this.#prefixes.some((prefix) => target === prefix || target.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`));
  }

  check(uri: string): void {
    if (!this.allows(uri)) {
      const allowed = [...this.#folders, ...this.#prefixes];
      throw ferryError('FERRY_ERR_ARTIFACT_SOURCE_DENIED', { uri, detail: allowed.length ? `allowed: ${allowed.join(', ')}` : 'no source is allowed' });
    }
  }
}

/** Scheme and host in lower case, `..` segments resolved (URL parsing does it), so a prefix cannot be escaped. */
function normalise(uri: string): string {
  try {
    const url = new URL(uri);
    return url.href;
  } catch {
    return uri;
  }
}
