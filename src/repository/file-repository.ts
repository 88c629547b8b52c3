import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ferryError } from '../errors/index.ts';
import type { ModelDir } from '../runtimes/runtime.ts';
import { isValidModelName, isVersionFolder } from './model-name.ts';

/** What the repository holds for one model: its model.yaml text (if any) and its version folders. */
export interface RepositoryModel {
  readonly name: string;
  readonly configText?: string;
  readonly versions: ReadonlyMap<number, ModelDir>;
  /** Per version, a stamp of its files' names, sizes and mtimes: a changed stamp means the version was edited. */
  readonly versionStamps: ReadonlyMap<number, string>;
}

export interface RepositoryScan {
  readonly models: ReadonlyMap<string, RepositoryModel>;
  /** Folders skipped, with why (bad names, unreadable folders). */
  readonly skipped: readonly { readonly path: string; readonly reason: string }[];
}

const MAX_FILES_PER_VERSION = 10_000;
const MAX_DEPTH = 4;

/** Reads a TF Serving / Triton style repository: ROOT/<model>/<version>/files, ROOT/<model>/model.yaml. */
export async function scanRepository(root: string): Promise<RepositoryScan> {
  const models = new Map<string, RepositoryModel>();
  const skipped: { path: string; reason: string }[] = [];
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(error as Error).message})`;
    throw ferryError('FERRY_ERR_CONFIG_INVALID', { detail: `model repository '${root}' ${reason} (set it with 'ferry serve DIR', model_repository or FERRY_MODEL_REPOSITORY)` });
  }
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    if (!isValidModelName(entry.name)) {
      skipped.push({ path: entry.name, reason: 'not a valid model name' });
      continue;
    }
    try {
      models.set(entry.name, await scanModel(root, entry.name));
    } catch (error) {
      skipped.push({ path: entry.name, reason: (error as Error).message });
    }
  }
  return { models, skipped };
}

export async function scanModel(root: string, name: string): Promise<RepositoryModel> {
  const modelPath = path.join(root, name);
  const versions = new Map<number, ModelDir>();
  const versionStamps = new Map<number, string>();
  let configText: string | undefined;
  for (const entry of await readdir(modelPath, { withFileTypes: true })) {
    if (entry.isFile() && (entry.name === 'model.yaml' || entry.name === 'model.yml')) {
      configText = await readFile(path.join(modelPath, entry.name), 'utf8');
    } else if (entry.isDirectory() && isVersionFolder(entry.name)) {
      const versionPath = path.join(modelPath, entry.name);
      const files = await listFiles(versionPath, '', 0);
      const stampParts = await Promise.all(files.map(async (f) => {
        const s = await stat(path.join(versionPath, f));
        return `${f}:${s.size}:${s.mtimeMs}`;
      }));
      versionStamps.set(Number(entry.name), hash(stampParts.join('|')));
      versions.set(Number(entry.name), { path: versionPath, files });
    }
  }
  return { name, versions, versionStamps, ...(configText === undefined ? {} : { configText }) };
}

async function listFiles(base: string, prefix: string, depth: number): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(base, prefix), { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isFile()) out.push(relative);
    else if (entry.isDirectory() && depth < MAX_DEPTH) out.push(...(await listFiles(base, relative, depth + 1)));
    if (out.length > MAX_FILES_PER_VERSION) throw new Error(`more than ${MAX_FILES_PER_VERSION} files in ${base}`);
  }
  return out.sort();
}

function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16);
}
