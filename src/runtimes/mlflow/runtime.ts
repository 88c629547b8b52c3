import { ferryError } from '../../errors/index.ts';
import type { TensorMetadata } from '../../tensor/index.ts';
import { SUPERVISION_OPTIONS, supervisionFor } from '../code/supervision.ts';
import { refuseUnknownOptions } from '../options.ts';
import { loadPythonModel, pythonFor, requireCodeAllowed, type CodeRuntimeSettings } from '../python/index.ts';
import type { ModelInstance, ModelSpec, Runtime, RuntimeContext } from '../runtime.ts';
import { readMlModel, type MlModel } from './mlmodel.ts';
import { mlflowIo } from './signature.ts';
import { readInputExample, warmUpWithExample, withInputExample } from './input-example.ts';

export interface MlflowRuntimeOptions {
  readonly code: CodeRuntimeSettings;
  /** The runtimes that evaluate MLflow's data flavors natively, by name. */
  readonly native: { readonly onnx: Runtime; readonly xgboost: Runtime; readonly lightgbm: Runtime };
}

/**
 * MLflow model directories (an `MLmodel` file): `onnx`, `xgboost` (JSON) and `lightgbm` (text) on Ferry's native
 * runtimes; `sklearn` (a pickle, only with allow_pickle) and `python_function` (loader_module, or python_model
 * with its artifacts) on the Python runtime, with the MLflow signature as the served one.
 */
export function createMlflowRuntime(options: MlflowRuntimeOptions): Runtime {
  return {
    name: 'mlflow',
    async canLoad(dir) {
      return dir.files.includes('MLmodel');
    },
    async load(spec, ctx) {
      const mlmodel = await readMlModel(spec.name, spec.dir);
      const { flavors } = mlmodel;
      const instance = await loadFlavor(options, spec, ctx, mlmodel);
      try {
        const example = await readInputExample(spec, mlmodel, instance.signature.inputs);
        if (example === undefined) return instance;
        // Code flavors run it once: the native evaluators check the file when they load it.
        if (!flavors['onnx'] && !flavors['xgboost'] && !flavors['lightgbm']) await warmUpWithExample(spec, example, instance);
        return withInputExample(instance, example);
      } catch (error) {
        await instance.unload();
        throw error;
      }
    },
  };
}

async function loadFlavor(options: MlflowRuntimeOptions, spec: ModelSpec, ctx: RuntimeContext, mlmodel: MlModel): Promise<ModelInstance> {
  const { flavors } = mlmodel;
  const data = (flavor: string) => {
    const file = flavors[flavor]?.['data'];
    if (typeof file !== 'string') throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail: `MLmodel flavor ${flavor} names no data file` });
    return file;
  };
  if (flavors['onnx']) return options.native.onnx.load({ ...spec, options: { ...spec.options, model_file: data('onnx') } }, ctx);
  if (flavors['xgboost']) {
    const format = flavors['xgboost']['model_format'];
    if (format !== undefined && format !== 'json') throw unsupported(spec, `xgboost model_format '${String(format)}' (Ferry reads XGBoost JSON: save with model_format='json')`);
    return options.native.xgboost.load({ ...spec, options: { ...spec.options, file: data('xgboost') } }, ctx);
  }
  if (flavors['lightgbm']) return options.native.lightgbm.load({ ...spec, options: { ...spec.options, file: data('lightgbm') } }, ctx);

  const pyfunc = flavors['python_function'];
  const sklearn = flavors['sklearn'];
  let flavor: 'sklearn' | 'python_function';
  let conf: Readonly<Record<string, unknown>>;
  if (sklearn) {
    flavor = 'sklearn';
    conf = { ...sklearn, code: pyfunc?.['code'] };
  } else if (pyfunc && (pyfunc['python_model'] || (typeof pyfunc['loader_module'] === 'string' && !pyfunc['loader_module'].startsWith('mlflow.')))) {
    flavor = 'python_function';
    conf = pyfunc;
  } else {
    throw unsupported(spec, `flavors ${Object.keys(flavors).join(', ')} (served: onnx, xgboost, lightgbm, sklearn, python_function with loader_module or python_model)`);
  }
  requireCodeAllowed(options.code, spec.name, `the MLflow ${flavor} flavor`);
  // The onnx, xgboost and lightgbm flavors are checked by the runtime that loads them, against its own options.
  refuseUnknownOptions(spec.name, 'mlflow', spec.options, ['allow_pickle', 'python', 'env_manager', 'max_batch_size', ...SUPERVISION_OPTIONS]);
  const allowPickle = spec.options['allow_pickle'] === true;
  const pickled = flavor === 'sklearn' ? conf['pickled_model'] : conf['python_model'];
  if (typeof pickled === 'string' && !allowPickle) {
    throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail: `${pickled} is a pickle, which can run any code when loaded: set allow_pickle: true in model.yaml to load it` });
  }
  if (typeof pickled === 'string') ctx.logger.warn({ model: spec.name, version: spec.version, file: pickled }, 'loading a pickle (allow_pickle: true): it can run any code');

  const inputs = mlflowIo(spec.name, 'inputs', mlmodel.signature?.inputs);
  const outputs = mlflowIo(spec.name, 'outputs', mlmodel.signature?.outputs);
  if (!inputs) throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail: 'MLmodel has no signature: log the model with one (infer_signature) to serve it' });
  const outputTensors: TensorMetadata[] = outputs?.tensors ?? [{ name: 'predictions', datatype: 'FP64', shape: [-1] }];
  const python = await pythonFor(options.code, spec, ctx.logger);
  return loadPythonModel({
    spec, ctx, python,
    supervision: supervisionFor(spec.name, options.code.supervision, spec.options),
    load: { kind: 'mlflow', allow_pickle: allowPickle, mlflow: { flavor, conf, columns: inputs.columns ?? null, output_names: outputTensors.map((t) => t.name) } },
    platform: `mlflow_${flavor}`,
    signature: { inputs: inputs.tensors, outputs: outputTensors },
  });
}

function unsupported(spec: ModelSpec, what: string) {
  return ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail: `MLflow model: ${what} cannot be served` });
}
