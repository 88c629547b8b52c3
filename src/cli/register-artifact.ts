import { cp, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { selectRuntime } from '../models/runtime-selection.ts';
import type { NewVersion } from '../registry/index.ts';
import { digestLocal, localPath, schemeOf } from '../repository/artifacts/index.ts';
import { builtinRuntimes } from '../runtimes/builtin.ts';
import { readMlflowModel } from './mlflow-model.ts';

export interface PreparedArtifact {
  readonly version: NewVersion;
  /** What was read, for the person running the command. */
  readonly notes: readonly string[];
}

/**
 * Prepares `ferry registry register` for a local file or folder: computes its digest (and each file's), copies it
 * into the registry's artifact folder under its digest (so later edits of the original cannot change what was
 * registered), and reads its signature — from an MLflow model's MLmodel (with its input example), or by loading
 * it with the runtime that recognises it. A URI (s3://, https://) is recorded as it is; the server computes its
 * digest when none is given.
 */
export async function prepareArtifact(model: string, source: string, artifactRoot: string | undefined): Promise<PreparedArtifact> {
  if (schemeOf(source) !== 'file') return { version: { source }, notes: ['remote source: the server computes its digest'] };
  const original = localPath(source);
  const { digest, single, files } = await digestLocal(original);
  const notes = [`digest ${digest} over ${files.length} file(s)`];
  let stored = original;
  if (artifactRoot) {
    const folder = path.join(artifactRoot, model, digest.slice('sha256:'.length));
    stored = single ? path.join(folder, path.basename(original)) : folder;
    if (!(await stat(stored).catch(() => undefined))) {
      await mkdir(path.dirname(stored), { recursive: true });
      await cp(original, stored, { recursive: true });
    }
    notes.push(`copied to ${stored}`);
  }
  const folder = single ? path.dirname(original) : original;
  const mlflow = await readMlflowModel(folder);
  let signature: unknown = mlflow?.signature;
  let runtime: string | undefined;
  {
    // Loading it proves it serves, and gives the signature Ferry will serve.
    try {
      const dir = single ? { path: folder, files: [path.basename(original)] } : { path: folder, files: files.map((f) => f.path) };
      const runtimes = builtinRuntimes();
      const found = await selectRuntime(model, runtimes, dir);
      const instance = await found.load({ name: model, version: '0', dir, options: {} }, { logger: silent, threads: { intraOp: 1, interOp: 1 } });
      signature ??= { inputs: instance.signature.inputs, outputs: instance.signature.outputs };
      runtime = found.name;
      await instance.unload();
      notes.push(`loads with the ${found.name} runtime`);
    } catch (error) {
      notes.push(`not loaded here (${(error as Error).message.slice(0, 200)})`);
    }
  }
  return {
    version: {
      source: stored, digest, ...(single ? {} : { files }),
      ...(signature !== undefined ? { signature } : {}), ...(runtime ? { runtime } : {}),
      ...(mlflow?.inputExample ? { inputExample: mlflow.inputExample } : {}), ...(mlflow?.runId ? { runId: mlflow.runId } : {}),
    },
    notes: mlflow ? [...notes, 'MLflow model: signature and input example from MLmodel'] : notes,
  };
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };
