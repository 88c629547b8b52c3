export { createSklearnRuntime, SKLEARN_PLATFORM } from './runtime.ts';
export { PREDICT, PREDICT_PROBA, TRANSFORM } from './outputs.ts';
