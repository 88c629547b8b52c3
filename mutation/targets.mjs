// What each mutation run mutates and which tests it runs: the unit tests beside the code (and, for the tree
// runtimes, their conformance packs), so that a run fits a small machine.
const notTests = ['!**/*.test.ts', '!**/*.case.ts', '!**/index.ts', '!**/test-support/**'];

const XGBOOST_TESTS = ['src/runtimes/xgboost/*.test.ts', 'test/conformance/xgboost-conformance.test.ts'];
const LIGHTGBM_TESTS = ['src/runtimes/lightgbm/*.test.ts', 'test/conformance/lightgbm-conformance.test.ts'];

export const TARGETS = {
  errors: { mutate: ['src/errors/*.ts'], tests: ['src/errors/*.test.ts'] },
  tensor: { mutate: ['src/tensor/*.ts'], tests: ['src/tensor/*.test.ts'] },
  repository: { mutate: ['src/repository/*.ts'], tests: ['src/repository/*.test.ts'] },
  // scheduler.ts apart: nearly all of its mutants run the AIMD simulations, so it gets a run (and results) of its own.
  // Its tests take milliseconds, and many of its mutants leave a request unanswered: a test that waits 10 s has
  // hung, and failing it there spares Stryker's timeout and the restart of its test runner.
  scheduler: { mutate: ['src/scheduler/*.ts', '!src/scheduler/scheduler.ts'], tests: ['src/scheduler/*.test.ts'], testTimeoutMs: 10_000 },
  'scheduler-core': { mutate: ['src/scheduler/scheduler.ts'], tests: ['src/scheduler/*.test.ts'], testTimeoutMs: 10_000 },
  codecs: {
    mutate: [
      'src/protocol/v2-rest/decode-request.ts', 'src/protocol/v2-rest/encode-response.ts', 'src/protocol/v2-rest/join-body.ts',
      'src/protocol/v2-grpc/contents.ts', 'src/protocol/http/exact-json.ts', 'src/protocol/http/json-numbers.ts', 'src/protocol/http/lenient-json.ts',
    ],
    tests: ['src/protocol/v2-rest/*.test.ts', 'src/protocol/v2-grpc/*.test.ts', 'src/protocol/http/*.test.ts'],
  },
  // The request decoders (and small response encoders) of TF Serving's and Seldon's REST protocols, and the nested
  // JSON and table readers they share with MLflow.
  decoders: {
    mutate: [
      'src/protocol/tfserving-rest/predict-request.ts', 'src/protocol/tfserving-rest/examples.ts', 'src/protocol/tfserving-rest/predict-response.ts',
      'src/protocol/seldon/message-request.ts', 'src/protocol/seldon/message-response.ts', 'src/protocol/seldon/table-columns.ts',
      'src/protocol/http/nested-json.ts', 'src/protocol/http/table-inputs.ts',
    ],
    tests: [
      'src/protocol/tfserving-rest/*.test.ts', 'src/protocol/seldon/*.test.ts',
      'src/protocol/http/nested-json.test.ts', 'src/protocol/http/table-inputs.test.ts',
    ],
  },
  // MLflow's scoring bodies: JSON, and CSV read straight into typed columns (its 64 MiB test is in a file of its own,
  // csv-large.test.ts, which mutation runs leave out).
  'decoders-mlflow': {
    mutate: ['src/protocol/mlflow/decode-input.ts', 'src/protocol/mlflow/predictions.ts', 'src/protocol/mlflow/csv.ts'],
    tests: ['src/protocol/mlflow/decode-input.test.ts', 'src/protocol/mlflow/predictions.test.ts', 'src/protocol/mlflow/csv.test.ts'],
  },
  // The gRPC request decoders: V2's ModelInferRequest, and Seldon's TensorProto and google.protobuf.Value.
  'decoders-grpc': {
    mutate: ['src/protocol/v2-grpc/decode-request.ts', 'src/protocol/seldon-grpc/tf-tensor.ts', 'src/protocol/seldon-grpc/values.ts'],
    tests: ['src/protocol/v2-grpc/decode-request.test.ts', 'src/protocol/v2-grpc/contents.test.ts', 'src/protocol/seldon-grpc/*.test.ts'],
  },
  dataplane: { mutate: ['src/dataplane/*.ts'], tests: ['src/dataplane/*.test.ts'] },
  models: { mutate: ['src/models/*.ts'], tests: ['src/models/*.test.ts'] },
  // The tree runtimes, one folder per target so that each run finishes on its own. Besides the tests beside the
  // code they run the conformance packs, which compare with XGBoost's and LightGBM's own predictions.
  trees: {
    mutate: ['src/runtimes/trees/*.ts'],
    tests: ['src/runtimes/trees/*.test.ts', ...XGBOOST_TESTS, ...LIGHTGBM_TESTS],
  },
  xgboost: { mutate: ['src/runtimes/xgboost/*.ts'], tests: XGBOOST_TESTS },
  lightgbm: { mutate: ['src/runtimes/lightgbm/*.ts'], tests: LIGHTGBM_TESTS },
};

/** The target named by FERRY_MUTATE, with its mutate globs completed by the exclusions and its test timeout. */
export function target(name = process.env.FERRY_MUTATE) {
  const chosen = name === undefined ? undefined : TARGETS[name];
  if (!chosen) throw new Error(`FERRY_MUTATE must name one of: ${Object.keys(TARGETS).join(', ')}`);
  return { name, mutate: [...chosen.mutate, ...notTests], tests: chosen.tests, testTimeoutMs: chosen.testTimeoutMs ?? 30_000 };
}
