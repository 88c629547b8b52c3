import { lightgbmRuntime } from './lightgbm/index.ts';
import { createOnnxRuntime } from './onnx/onnx-runtime.ts';
import { pmmlRuntime } from './pmml/index.ts';
import type { Runtime } from './runtime.ts';
import { createSklearnRuntime } from './sklearn/index.ts';
import { xgboostRuntime } from './xgboost/index.ts';

/**
 * The runtimes Ferry ships, in detection order: the first whose canLoad accepts a version folder wins.
 * sklearn and XGBoost both use model.json and tell theirs apart by content.
 */
export function builtinRuntimes(): Runtime[] {
  return [createOnnxRuntime(), createSklearnRuntime(), xgboostRuntime(), lightgbmRuntime(), pmmlRuntime()];
}
