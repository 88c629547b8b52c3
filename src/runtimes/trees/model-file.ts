import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ferryError } from '../../errors/index.ts';
import { resolveModelFile } from '../model-path.ts';
import type { ModelDir } from '../runtime.ts';

/** The first `bytes` of a file as text ('' when unreadable): enough for format sniffing without a full read. */
export async function readHead(file: string, bytes = 4096): Promise<string> {
  try {
    const handle = await open(file, 'r');
    try {
      const buffer = Buffer.alloc(bytes);
      const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
      return buffer.toString('utf8', 0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
}

/**
 * Picks the model file of a version folder: `explicit` (options.file) when given, else `preferred` when present,
 * else the only candidate whose head `looksRight`. Several candidates without a preferred one is an error.
 * Returns the file's name in the folder; open it with readModelText.
 */
export async function findModelFile(
  model: string,
  dir: ModelDir,
  spec: { readonly explicit?: string; readonly preferred: string; readonly extension: string; readonly format: string },
  looksRight: (head: string) => boolean,
): Promise<string | undefined> {
  if (spec.explicit !== undefined) {
    await resolveModelFile(model, dir, spec.explicit, 'options.file');
    return spec.explicit;
  }
  const candidates = dir.files.filter((f) => f.toLowerCase().endsWith(spec.extension));
  const matching: string[] = [];
  for (const file of candidates) if (looksRight(await readHead(path.join(dir.path, file)))) matching.push(file);
  if (matching.includes(spec.preferred)) return spec.preferred;
  if (matching.length > 1) {
    throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model, detail: `several ${spec.format} files (${matching.join(', ')}); name one with options.file` });
  }
  return matching[0];
}

/** The text of `file` (a name in the version folder), read from where it resolves inside the allowed places. */
export async function readModelText(model: string, dir: ModelDir, file: string): Promise<string> {
  const real = await resolveModelFile(model, dir, file);
  try {
    return await readFile(real, 'utf8');
  } catch (cause) {
    throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model, detail: `cannot read ${file} (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})` }, cause);
  }
}
