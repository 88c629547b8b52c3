import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { ferryError } from '../../errors/index.ts';
import { resolveModelFile } from '../model-path.ts';
import type { ModelDir } from '../runtime.ts';

/** The parts of an MLflow `MLmodel` file Ferry reads (MLflow's documented format). */
export interface MlModel {
  readonly flavors: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** JSON strings, as MLflow writes them. */
  readonly signature?: { readonly inputs?: string; readonly outputs?: string };
  readonly saved_input_example_info?: { readonly artifact_path?: string; readonly type?: string; readonly pandas_orient?: string };
}

export async function readMlModel(model: string, dir: ModelDir): Promise<MlModel> {
  const file = await resolveModelFile(model, dir, 'MLmodel');
  let parsed: unknown;
  try {
    parsed = parseYaml(await readFile(file, 'utf8'));
  } catch (error) {
    throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model, detail: `MLmodel is not valid YAML: ${(error as Error).message.split('\n')[0]}` });
  }
  const flavors = (parsed as { flavors?: unknown } | null)?.flavors;
  if (typeof flavors !== 'object' || flavors === null || Array.isArray(flavors)) {
    throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model, detail: 'MLmodel has no flavors' });
  }
  return parsed as MlModel;
}
