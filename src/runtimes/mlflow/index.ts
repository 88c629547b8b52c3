export { createMlflowRuntime, type MlflowRuntimeOptions } from './runtime.ts';
