import path from 'node:path';
import { runPredict, type PredictOptions } from '../../src/cli/predict/run-predict.ts';
import { loadConfig } from '../../src/config/index.ts';
import { EXAMPLE_MODELS, REPO_ROOT } from './server.ts';

/** Offline scoring tests: the iris XGBoost example, its features, and python-xgboost's reference script. */
export const PYTHON = process.env['FERRY_TEST_PYTHON'] ?? '/usr/bin/python3';
export const REFERENCE = path.join(REPO_ROOT, 'test/fixtures/predict/reference.py');
export const IRIS = path.join(EXAMPLE_MODELS, 'iris_xgboost');
export const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

/** A progress stream that is not a terminal and prints nothing. */
export const quiet = { isTTY: false, write: () => true };

/** `ferry predict` in process, silent, with small batches and frequent checkpoints unless `options` say otherwise. */
export const predict = (options: Partial<PredictOptions> & Pick<PredictOptions, 'model' | 'input' | 'output'>) => runPredict({
  config: loadConfig({ env: {}, overrides: { log_level: 'silent' } }), keep: [], outputs: [], batchRows: 256, concurrency: 4,
  restart: false, progress: quiet, progressIntervalMs: 60_000, checkpointIntervalMs: 1000, ...options,
});
