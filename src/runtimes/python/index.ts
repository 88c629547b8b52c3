export { createPythonRuntime } from './runtime.ts';
export { loadPythonModel, type PythonLoad } from './python-model.ts';
export { interpreterFor, requireCodeAllowed, type CodeRuntimeSettings } from './code-settings.ts';
