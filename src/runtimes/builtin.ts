import { createOnnxRuntime } from './onnx/onnx-runtime.ts';
import type { Runtime } from './runtime.ts';

/** The runtimes Ferry ships, in detection order (the first whose canLoad accepts a version folder wins). */
export function builtinRuntimes(): Runtime[] {
  return [createOnnxRuntime()];
}
