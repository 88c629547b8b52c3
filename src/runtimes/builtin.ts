import { lightgbmRuntime } from './lightgbm/index.ts';
import { createOnnxRuntime } from './onnx/onnx-runtime.ts';
import { pmmlRuntime } from './pmml/index.ts';
import type { Runtime } from './runtime.ts';
import type { LoadSandbox } from './sandbox/load-sandbox.ts';
import { sandboxed } from './sandbox/sandboxed-runtime.ts';
import { createSklearnRuntime } from './sklearn/index.ts';
import { xgboostRuntime } from './xgboost/index.ts';

export interface BuiltinRuntimeOptions {
  /**
   * Where the formats Ferry parses itself (XGBoost, LightGBM, sklearn, PMML) are loaded once, under memory and time
   * limits, before the server loads them. ONNX files are parsed by onnxruntime's own C++ loader, in the server.
   */
  readonly sandbox?: LoadSandbox;
}

/**
 * The runtimes Ferry ships, in detection order: the first whose canLoad accepts a version folder wins.
 * sklearn and XGBoost both use model.json and tell theirs apart by content.
 */
export function builtinRuntimes(options: BuiltinRuntimeOptions = {}): Runtime[] {
  const { sandbox } = options;
  const runtimes = [createOnnxRuntime(), createSklearnRuntime(), xgboostRuntime(), lightgbmRuntime(), pmmlRuntime()];
  return sandbox ? runtimes.map((runtime) => sandboxed(runtime, sandbox)) : runtimes;
}
