import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ferryError } from '../../errors/index.ts';
import { jsonNestsDeeperThan } from '../json-depth.ts';
import { MAX_JSON_DEPTH } from '../model-limits.ts';
import { resolveModelFile } from '../model-path.ts';
import type { ModelDir } from '../runtime.ts';

/** How far into a JSON file the top-level "format" key is looked for (the exporter writes it first). */
const HEAD_BYTES = 64 * 1024;
const FORMAT_KEY = /"format"\s*:\s*"ferry-sklearn"/;

/** True when the file's head declares the ferry-sklearn format: detection by content, never by file name. */
export async function declaresFerrySklearn(file: string): Promise<boolean> {
  try {
    const handle = await open(file, 'r');
    try {
      const buffer = Buffer.alloc(HEAD_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
      return FORMAT_KEY.test(buffer.toString('utf8', 0, bytesRead));
    } finally {
      await handle.close();
    }
  } catch {
    return false;
  }
}

/** The version folder's ferry-sklearn file: options.file, else model.json, else the only *.json declaring the format. */
export async function findDocument(model: string, dir: ModelDir, explicit: string | undefined): Promise<string | undefined> {
  if (explicit !== undefined) {
    await resolveModelFile(model, dir, explicit, 'options.file');
    return explicit;
  }
  const matching: string[] = [];
  for (const file of dir.files.filter((f) => f.toLowerCase().endsWith('.json'))) {
    if (await declaresFerrySklearn(path.join(dir.path, file))) matching.push(file);
  }
  if (matching.includes('model.json')) return 'model.json';
  if (matching.length > 1) {
    throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model, detail: `several ferry-sklearn files (${matching.join(', ')}); name one with options.file` });
  }
  return matching[0];
}

/** The parsed document `file` (a name in the version folder); its nesting is bounded before the walks that recurse. */
export async function readDocument(model: string, dir: ModelDir, file: string): Promise<unknown> {
  const real = await resolveModelFile(model, dir, file);
  let text: string;
  try {
    text = await readFile(real, 'utf8');
  } catch (cause) {
    throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model, detail: `cannot read ${file} (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})` }, cause);
  }
  if (jsonNestsDeeperThan(text, MAX_JSON_DEPTH)) throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model, detail: `${file} nests deeper than ${MAX_JSON_DEPTH} levels` });
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model, detail: `${file} is not valid JSON: ${(cause as Error).message}` }, cause);
  }
}
