export { createPythonRuntime } from './runtime.ts';
export { loadPythonModel, type PythonLoad } from './python-model.ts';
export { interpreterFor, pythonFor, requireCodeAllowed, type CodeRuntimeSettings } from './code-settings.ts';
export type { VirtualenvSettings } from './virtualenv.ts';
