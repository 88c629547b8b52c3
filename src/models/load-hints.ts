/**
 * What a version folder that no runtime recognises most likely holds, said as what to do: the files of other
 * servers' and libraries' formats that newcomers bring first.
 */
export function loadHint(files: readonly string[]): string | undefined {
  const names = files.map((f) => f.split('/').at(-1)!.toLowerCase());
  if (names.length === 0) return 'the version folder is empty: put the model file in it (model.onnx, model.json, model.txt, model.pmml, ...)';
  if (names.some((n) => /\.(pkl|pickle|joblib)$/.test(n))) return 'pickles are not loaded; export with ferry_sklearn, or see models-as-code';
  if (names.includes('config.pbtxt')) return "a Triton config.pbtxt is not read: Ferry's model settings go in model.yaml beside the version folders, and the model file in the version folder";
  if (names.some((n) => TRITON_FILES.test(n))) return "a TensorRT, TorchScript or TensorFlow model file is not read: export the model to ONNX (model.onnx)";
  if (names.some((n) => n.endsWith('.ubj'))) return "XGBoost's binary UBJSON format is not read: save the model as JSON (booster.save_model('model.json'))";
  return undefined;
}

/** The model files of Triton's other backends (TensorRT plans, TorchScript, TensorFlow graphs), by their usual names. */
const TRITON_FILES = /^(model\.(plan|pt|graphdef)|saved_model\.pb)$/;

