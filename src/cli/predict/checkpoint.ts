import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ResumePoint } from './row-source.ts';
import type { SinkState } from './sink.ts';

/**
 * What a run of `ferry predict` is: the input file as it was (size and modification time), the model version and
 * every option that shapes the output. A checkpoint resumes only the same run.
 */
export interface RunIdentity {
  readonly input: { readonly path: string; readonly size: number; readonly mtimeMs: number };
  readonly output: string;
  readonly model: string;
  readonly version: string;
  readonly keep: readonly string[];
  readonly outputs: readonly string[];
}

/** The run's identity, how far it got in the input, and the output's state at that point. */
export interface Checkpoint {
  readonly identity: RunIdentity;
  readonly done: ResumePoint;
  readonly sink: SinkState;
}

/** The checkpoint beside an output file: `preds.csv` → `preds.csv.ferry-checkpoint`. */
export function checkpointPath(output: string): string {
  return `${output}.ferry-checkpoint`;
}

export async function inputIdentity(file: string): Promise<RunIdentity['input']> {
  const info = await stat(file);
  return { path: path.resolve(file), size: info.size, mtimeMs: info.mtimeMs };
}

export async function readCheckpoint(output: string): Promise<Checkpoint | undefined> {
  const text = await readFile(checkpointPath(output), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as Checkpoint;
  } catch {
    return undefined; // a checkpoint cut short (the machine stopped while writing it) is no checkpoint
  }
}

/** Written beside and renamed into place, so that a checkpoint on disk is always a whole one. */
export async function writeCheckpoint(output: string, checkpoint: Checkpoint): Promise<void> {
  const file = checkpointPath(output);
  await writeFile(`${file}.tmp`, JSON.stringify(checkpoint));
  await rename(`${file}.tmp`, file);
}

export async function removeCheckpoint(output: string): Promise<void> {
  await rm(checkpointPath(output), { force: true });
}

/** Why a checkpoint belongs to a different run, or undefined when it is this one's. */
export function identityMismatch(saved: RunIdentity, now: RunIdentity): string | undefined {
  if (saved.input.path !== now.input.path) return `it is for input ${saved.input.path}`;
  if (saved.input.size !== now.input.size || saved.input.mtimeMs !== now.input.mtimeMs) return 'the input file changed since';
  if (saved.model !== now.model || saved.version !== now.version) return `it is for model ${saved.model} version ${saved.version}`;
  if (JSON.stringify(saved.keep) !== JSON.stringify(now.keep) || JSON.stringify(saved.outputs) !== JSON.stringify(now.outputs)) return 'it was made with other --keep or --outputs';
  return undefined;
}
