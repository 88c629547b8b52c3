import { ferryError } from '../../errors/index.ts';
import type { ModelDir, ModelInstance, ModelSpec, Runtime, RuntimeContext } from '../runtime.ts';
import { tabularInputs, type FeatureSpec } from '../tabular.ts';
import { compileNode } from './compile.ts';
import { createInstance } from './instance.ts';
import { findDocument, readDocument } from './model-file.ts';
import { readOptions } from './options.ts';
import { outputSignature } from './outputs.ts';
import { validateDocument } from './validate.ts';

export const SKLEARN_PLATFORM = 'ferry_sklearn';

/**
 * Runs scikit-learn models exported by ferry_sklearn as JSON (docs/formats/sklearn.md): no Python, no pickle,
 * nothing from the artifact is executed.
 */
export function createSklearnRuntime(): Runtime {
  return {
    name: 'sklearn',
    async canLoad(dir: ModelDir): Promise<boolean> {
      return (await findDocument('', dir, undefined).catch(() => 'several')) !== undefined;
    },
    load: loadSklearnModel,
  };
}

async function loadSklearnModel(spec: ModelSpec, ctx: RuntimeContext): Promise<ModelInstance> {
  const options = readOptions(spec.name, spec.options);
  const file = await findDocument(spec.name, spec.dir, options.file);
  if (!file) {
    throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail: 'no ferry-sklearn document (*.json with "format": "ferry-sklearn") in the version folder' });
  }
  const document = validateDocument(await readDocument(spec.name, spec.dir, file), spec.name);
  const features: FeatureSpec[] = document.features.map((f) => ({ name: f.name, kind: f.kind }));
  const names = new Set(features.map((f) => f.name));
  if (names.size !== features.length) throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail: 'feature names are not unique' });
  if (options.layout === 'matrix' && features.some((f) => f.kind === 'categorical')) {
    const categorical = features.filter((f) => f.kind === 'categorical').map((f) => f.name);
    throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail: `options.inputs 'matrix' carries numbers only, but ${categorical.join(', ')} are categorical (strings); use named inputs` });
  }
  const step = compileNode(document.estimator, features.length, { model: spec.name, path: file });
  ctx.logger.debug({ model: spec.name, version: spec.version, file, estimator: document.estimator.type }, 'sklearn model compiled');
  return createInstance({
    name: spec.name,
    features,
    layout: options.layout,
    step,
    maxBatchSize: options.maxBatchSize,
    // Categories are matched as strings.
    signature: { platform: SKLEARN_PLATFORM, inputs: tabularInputs(features, options.layout), outputs: outputSignature(step), bytesInputs: 'text', numericInputs: 'convert' },
  });
}
