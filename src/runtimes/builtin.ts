import { lightgbmRuntime } from './lightgbm/index.ts';
import { createOnnxRuntime } from './onnx/onnx-runtime.ts';
import { pmmlRuntime } from './pmml/index.ts';
import { createJsRuntime } from './js/index.ts';
import { createMlflowRuntime } from './mlflow/index.ts';
import { createPythonRuntime, type CodeRuntimeSettings } from './python/index.ts';
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
  /** Models as code: whether they may load, the default interpreter, how their workers are supervised. */
  readonly code?: CodeRuntimeSettings;
}

/**
 * The runtimes Ferry ships, in detection order: the first whose canLoad accepts a version folder wins.
 * sklearn and XGBoost both use model.json and tell theirs apart by content.
 */
export function builtinRuntimes(options: BuiltinRuntimeOptions = {}): Runtime[] {
  const { sandbox } = options;
  const data = [createOnnxRuntime(), createSklearnRuntime(), xgboostRuntime(), lightgbmRuntime(), pmmlRuntime()];
  const formats = sandbox ? data.map((runtime) => sandboxed(runtime, sandbox)) : data;
  // Code runs in its own workers, never in the load sandbox; a folder with model.py is a Python model even when
  // it also holds the data files that code reads.
  const code = options.code ?? DEFAULT_CODE_SETTINGS;
  const [onnx, , xgboost, lightgbm] = formats as [Runtime, Runtime, Runtime, Runtime, Runtime];
  // An MLflow directory is served by its MLmodel file's flavors, whatever else it holds.
  const mlflow = createMlflowRuntime({ code, native: { onnx, xgboost, lightgbm } });
  return [mlflow, createPythonRuntime(code), createJsRuntime(code), ...formats];
}

/** Code refused (as `runtime.allow_code` defaults), for callers that build runtimes without configuration. */
const DEFAULT_CODE_SETTINGS: CodeRuntimeSettings = {
  allowCode: false,
  python: 'python3',
  supervision: { loadTimeoutMs: 120_000, requestTimeoutMs: 60_000, pingIntervalMs: 10_000, pingTimeoutMs: 10_000, maxRestarts: 5, restartBackoffMs: 200 },
};
