export { lightgbmRuntime } from './runtime.ts';
