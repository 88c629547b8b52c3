// Layer rules from DESIGN.md are enforced here, per folder, as no-restricted-imports.
import tseslint from 'typescript-eslint';

const layer = (files, forbidden, why) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', { patterns: forbidden.map((group) => ({ group: [`**/${group}/**`, `**/${group}`], message: why })) }],
  },
});

export default tseslint.config(
  { ignores: ['node_modules/**', '.stryker-tmp/**', 'dist/**', 'coverage/**', 'workers/**', 'test/fixtures/**/*.py'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  layer(['src/tensor/**'], ['dataplane', 'models', 'runtimes', 'protocol', 'scheduler', 'cache', 'graph', 'observe', 'repository', 'registry', 'config', 'cli', 'server.ts'],
    'tensor/ is the lingua franca: it imports errors/ only'),
  layer(['src/errors/**'], ['tensor', 'dataplane', 'models', 'runtimes', 'protocol', 'scheduler', 'cache', 'observe', 'repository', 'config', 'cli', 'server.ts'],
    'errors/ is a leaf'),
  layer(['src/protocol/**'], ['runtimes', 'models', 'scheduler', 'cache', 'repository', 'registry', 'management', 'observe', 'config', 'cli', 'graph', 'stream', 'server.ts'],
    'protocol adapters translate and delegate: they import dataplane/, tensor/ and errors/ only'),
  layer(['src/runtimes/**'], ['models', 'scheduler', 'protocol', 'dataplane', 'cache', 'repository', 'registry', 'observe', 'config', 'cli', 'graph', 'server.ts'],
    'runtimes import tensor/ and errors/ only'),
  layer(['src/scheduler/**'], ['protocol', 'models', 'repository', 'dataplane', 'cli', 'config', 'server.ts'],
    'scheduler/ sits under the data plane'),
  layer(['src/cache/**'], ['protocol', 'models', 'dataplane', 'scheduler', 'repository', 'registry', 'cli', 'config', 'server.ts'],
    'cache/ stores results: it imports tensor/, errors/ and runtime types only'),
  layer(['src/models/**', 'src/repository/**'], ['protocol', 'dataplane', 'registry', 'management', 'cli', 'server.ts'],
    'models/ and repository/ never see protocols, and the mechanism never depends on the registry that drives it'),
  layer(['src/management/**'], ['models', 'runtimes', 'dataplane', 'scheduler', 'cache', 'repository', 'cli', 'config', 'server.ts'],
    'management/ is the registry\'s HTTP edge: it imports registry/, errors/ and the shared HTTP helpers of protocol/http only'),
  layer(['src/registry/**'], ['protocol', 'dataplane', 'runtimes', 'scheduler', 'cache', 'management', 'cli', 'config', 'server.ts'],
    'registry/ keeps records, fetches artifacts and drives the model manager: it imports models/, repository/, tensor/, errors/ and observe/'),
  layer(['src/dataplane/**'], ['protocol', 'cli', 'server.ts'], 'the data plane never sees protocols'),
  layer(['src/graph/**'], ['runtimes', 'scheduler', 'cache', 'models', 'repository', 'management', 'stream', 'cli', 'server.ts'],
    'graph/ runs graphs through the data plane: it imports dataplane/, registry/ (state and audit), tensor/, errors/, observe/, and protocol/ clients for remote nodes'),
  layer(['src/observe/**'], ['protocol', 'dataplane', 'models', 'runtimes', 'scheduler', 'cache', 'repository', 'registry', 'graph', 'stream', 'cli', 'server.ts'],
    'observe/ is a leaf service: it imports tensor/, errors/ and config types only'),
  {
    files: ['bench/**', 'test/**', 'bin/**', 'src/cli/**', 'scripts/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // Tests read loosely typed JSON bodies and assert them field by field.
    files: ['test/**', '**/*.test.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
