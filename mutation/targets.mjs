// What each mutation run mutates and which tests it runs: the unit tests beside the code only, so that a run
// fits a small machine. Order: smallest first.
const notTests = ['!**/*.test.ts', '!**/*.case.ts', '!**/index.ts', '!**/test-support/**'];

export const TARGETS = {
  errors: { mutate: ['src/errors/*.ts'], tests: ['src/errors/*.test.ts'] },
  tensor: { mutate: ['src/tensor/*.ts'], tests: ['src/tensor/*.test.ts'] },
  repository: { mutate: ['src/repository/*.ts'], tests: ['src/repository/*.test.ts'] },
  scheduler: { mutate: ['src/scheduler/*.ts'], tests: ['src/scheduler/*.test.ts'] },
  codecs: {
    mutate: [
      'src/protocol/v2-rest/decode-request.ts', 'src/protocol/v2-rest/encode-response.ts', 'src/protocol/v2-rest/join-body.ts',
      'src/protocol/v2-grpc/contents.ts', 'src/protocol/http/exact-json.ts', 'src/protocol/http/json-numbers.ts', 'src/protocol/http/lenient-json.ts',
    ],
    tests: ['src/protocol/v2-rest/*.test.ts', 'src/protocol/v2-grpc/*.test.ts', 'src/protocol/http/*.test.ts'],
  },
  dataplane: { mutate: ['src/dataplane/*.ts'], tests: ['src/dataplane/*.test.ts'] },
  models: { mutate: ['src/models/*.ts'], tests: ['src/models/*.test.ts'] },
  trees: {
    mutate: ['src/runtimes/trees/*.ts', 'src/runtimes/xgboost/*.ts', 'src/runtimes/lightgbm/*.ts'],
    tests: ['src/runtimes/trees/*.test.ts', 'src/runtimes/xgboost/*.test.ts', 'src/runtimes/lightgbm/*.test.ts'],
  },
};

/** The target named by FERRY_MUTATE, with its mutate globs completed by the exclusions. */
export function target(name = process.env.FERRY_MUTATE) {
  const chosen = name === undefined ? undefined : TARGETS[name];
  if (!chosen) throw new Error(`FERRY_MUTATE must name one of: ${Object.keys(TARGETS).join(', ')}`);
  return { name, mutate: [...chosen.mutate, ...notTests], tests: chosen.tests };
}
