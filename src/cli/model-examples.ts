import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeInferRequest } from '../protocol/v2-rest/decode-request.ts';
import { warmupRequest } from '../registry/input-example.ts';
import type { InferRequest, TensorMetadata } from '../tensor/index.ts';
import { readMlflowModel } from './mlflow-model.ts';

/** A model's example request and where it came from (a path relative to the repository). */
export interface ModelExample {
  readonly source: string;
  readonly request?: InferRequest;
  /** Why the example could not be read; the example then counts as failed. */
  readonly error?: string;
}

/** What an MLflow model folder declares: its signature, as V2 tensor metadata. */
export interface MlflowDeclaration {
  readonly source: string;
  readonly inputs: readonly TensorMetadata[];
  readonly outputs: readonly TensorMetadata[];
}

export const EXAMPLE_FILE = 'example.json';

/**
 * The example request for one version: `example.json` in the model folder (a V2 inference request body, as sent to
 * `POST /v2/models/{m}/infer`), or else the input example an MLflow model folder carries (MLmodel's
 * `saved_input_example_info`). Undefined when there is neither.
 */
export async function exampleFor(root: string, model: string, version: number): Promise<ModelExample | undefined> {
  const file = path.join(model, EXAMPLE_FILE);
  const text = await readFile(path.join(root, file)).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : error));
  if (text instanceof Error) return { source: file, error: `cannot read: ${text.code ?? text.message}` };
  if (text !== undefined) {
    try {
      return { source: file, request: decodeInferRequest(text, undefined) };
    } catch (error) {
      return { source: file, error: (error as Error).message };
    }
  }
  const folder = path.join(model, String(version));
  try {
    const mlflow = await readMlflowModel(path.join(root, folder));
    if (mlflow?.inputExample === undefined) return undefined;
    return { source: `${folder}/MLmodel input example`, request: warmupRequest(model, mlflow.inputExample)! };
  } catch (error) {
    return { source: `${folder}/MLmodel`, error: (error as Error).message };
  }
}

/** The signature an MLflow model folder declares in its MLmodel, when the version folder is one. */
export async function mlflowDeclaration(root: string, model: string, version: number): Promise<MlflowDeclaration | undefined> {
  const folder = path.join(model, String(version));
  const mlflow = await readMlflowModel(path.join(root, folder)).catch(() => undefined);
  const signature = mlflow?.signature as { inputs: TensorMetadata[]; outputs: TensorMetadata[] } | undefined;
  return signature ? { source: `${folder}/MLmodel`, inputs: signature.inputs, outputs: signature.outputs } : undefined;
}
