export { xgboostRuntime } from './runtime.ts';
