export { createJsRuntime } from './runtime.ts';
export { defineModel, type ModelDefinition, type ModelOutput } from './define-model.ts';
