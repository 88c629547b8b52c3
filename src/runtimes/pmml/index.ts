export { pmmlRuntime, PMML_MAX_BATCH } from './runtime.ts';
