import type { Runtime } from '../runtime.ts';
import { SUPERVISION_OPTIONS, supervisionFor } from '../code/supervision.ts';
import { refuseUnknownOptions } from '../options.ts';
import { pythonFor, requireCodeAllowed, type CodeRuntimeSettings } from './code-settings.ts';
import { loadPythonModel } from './python-model.ts';

/**
 * Models as Python code: a version folder with `model.py`, run in supervised worker processes (one per instance)
 * that Ferry talks to over the frame protocol. Loads only where the operator allowed code.
 */
export function createPythonRuntime(settings: CodeRuntimeSettings): Runtime {
  return {
    name: 'python',
    async canLoad(dir) {
      return dir.files.includes('model.py');
    },
    async load(spec, ctx) {
      requireCodeAllowed(settings, spec.name, 'model.py');
      refuseUnknownOptions(spec.name, 'python', spec.options, ['python', 'env_manager', 'max_batch_size', ...SUPERVISION_OPTIONS]);
      return loadPythonModel({
        spec, ctx,
        python: await pythonFor(settings, spec, ctx.logger),
        supervision: supervisionFor(spec.name, settings.supervision, spec.options),
        load: { kind: 'model_py' },
        platform: 'python',
      });
    },
  };
}
