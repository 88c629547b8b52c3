import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import { ferryError, isFerryError } from '../../errors/index.ts';
import { joinUrl, type ArtifactListing, type ArtifactStore } from './artifact-store.ts';

export interface HttpStoreOptions {
  /** Headers for a URL (an MLflow server's token or basic auth), or none. */
  readonly headersFor?: (url: string) => Record<string, string>;
  /** Whether a redirect may be followed to this URL: the allow-list applies to every hop, not only the first. */
  readonly mayFollow?: (url: string) => boolean;
  /** How long to wait for a response's headers (default 30 s). */
  readonly timeoutMs?: number;
}

const MAX_REDIRECTS = 5;

/**
 * Artifacts on an HTTP(S) server. HTTP cannot list a folder, so a folder's files come from the registry's record
 * of them; a URI without a trailing slash is one file.
 */
export class HttpArtifactStore implements ArtifactStore {
  readonly schemes = ['http', 'https'] as const;
  readonly #options: HttpStoreOptions;

  constructor(options: HttpStoreOptions = {}) {
    this.#options = options;
  }

  async list(uri: string, signal?: AbortSignal): Promise<ArtifactListing> {
    if (uri.endsWith('/')) {
      throw ferryError('FERRY_ERR_ARTIFACT_NOT_FOUND', { uri, detail: 'an HTTP server cannot list a folder; register the version with its file list' });
    }
    const response = await this.#request('HEAD', uri, signal);
    const header = response.headers.get('content-length');
    const length = header === null ? -1 : Number(header);
    const name = decodeURIComponent(new URL(uri).pathname.split('/').at(-1) ?? '') || 'artifact';
    return { single: true, files: [{ path: name, size: Number.isSafeInteger(length) && length >= 0 ? length : -1 }] };
  }

  child(folderUri: string, relativePath: string): string {
    return joinUrl(folderUri, relativePath);
  }

  async read(fileUri: string, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    const response = await this.#request('GET', fileUri, signal);
    if (!response.body) return Readable.from([]);
    return Readable.fromWeb(response.body as ReadableStream<Uint8Array>);
  }

  async write(fileUri: string): Promise<void> {
    throw ferryError('FERRY_ERR_ARTIFACT_SOURCE_DENIED', { uri: fileUri, detail: 'Ferry does not upload to HTTP(S) servers' });
  }

  async #request(method: 'GET' | 'HEAD', uri: string, signal?: AbortSignal): Promise<Response> {
    let url = uri;
    for (let hop = 0; ; hop++) {
      const timeout = AbortSignal.timeout(this.#options.timeoutMs ?? 30_000);
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          redirect: 'manual',
          headers: this.#options.headersFor?.(url) ?? {},
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
      } catch (error) {
        if (isFerryError(error)) throw error;
        throw ferryError('FERRY_ERR_ARTIFACT_FETCH_FAILED', { uri, detail: (error as Error).message }, error);
      }
      if (response.status >= 300 && response.status < 400 && response.headers.has('location')) {
        await response.body?.cancel();
        const next = new URL(response.headers.get('location')!, url).href;
        if (hop >= MAX_REDIRECTS) throw ferryError('FERRY_ERR_ARTIFACT_FETCH_FAILED', { uri, detail: `more than ${MAX_REDIRECTS} redirects` });
        if (!/^https?:/i.test(next) || (this.#options.mayFollow && !this.#options.mayFollow(next))) {
          throw ferryError('FERRY_ERR_ARTIFACT_SOURCE_DENIED', { uri, detail: `it redirects to '${next}', which is not allowed` });
        }
        url = next;
        continue;
      }
      if (response.status === 404 || response.status === 410) {
        await response.body?.cancel();
        throw ferryError('FERRY_ERR_ARTIFACT_NOT_FOUND', { uri, detail: `HTTP ${response.status}` });
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw ferryError('FERRY_ERR_ARTIFACT_FETCH_FAILED', { uri, detail: `HTTP ${response.status}` });
      }
      return response;
    }
  }
}
