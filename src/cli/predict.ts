import type { Command } from 'commander';
import { loadConfig } from '../config/index.ts';
import { ferryError, isFerryError } from '../errors/index.ts';
import { checkpointPath } from './predict/checkpoint.ts';
import { runPredict, type PredictSummary } from './predict/run-predict.ts';

interface PredictFlags {
  model: string;
  input: string;
  output: string;
  version?: string;
  repository?: string;
  keep?: string;
  outputs?: string;
  batchRows: string;
  concurrency: string;
  restart?: boolean;
  progressSeconds: string;
  checkpointSeconds: string;
  summary: string;
  config?: string;
  logLevel?: string;
}

const INTERRUPTED = 130;

/** `ferry predict`: offline scoring of a data file with one model, streamed, resumable. */
export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('score a data file (CSV, JSON Lines or Parquet) with a model, offline, with the runtimes and batching of ferry serve; resumable after an interruption')
    .requiredOption('--model <dir|name>', 'a model folder (models/iris), a version folder (models/iris/3), a folder of model files, or a model name in --repository')
    .requiredOption('--input <file>', 'rows to score: .csv (with a header row), .jsonl (one object per line) or .parquet')
    .requiredOption('--output <file>', 'where predictions go, one row per input row in input order: .csv, .jsonl or .parquet')
    .option('--version <n>', 'the model version (default: what the version policy serves, the newest)')
    .option('--repository <dir>', 'the model repository for a model name (default ./models, or model_repository in ferry.yaml)')
    .option('--keep <columns>', 'input columns copied into the output, before the predictions (comma-separated: id,customer)')
    .option('--outputs <names>', 'model outputs to write (comma-separated; default all)')
    .option('--batch-rows <n>', 'rows per request to the model', '1024')
    .option('--concurrency <n>', 'requests queued at the model at once (its scheduler merges them as a server\'s does)', '4')
    .option('--restart', 'ignore a checkpoint beside the output and start over')
    .option('--progress-seconds <n>', 'when not on a terminal: seconds between progress lines', '5')
    .option('--checkpoint-seconds <n>', 'seconds between checkpoints (what a resumed run starts from)', '2')
    .option('--summary <format>', 'the closing summary on stderr as text, or as json on stdout', 'text')
    .option('--config <file>', 'ferry.yaml to read (default ./ferry.yaml when present)')
    .option('--log-level <level>', 'server log lines on stderr (default silent)')
    .action(async (flags: PredictFlags) => {
      const aborter = new AbortController();
      let signals = 0;
      const onSignal = () => {
        signals += 1;
        if (signals > 1) process.exit(INTERRUPTED); // a second Ctrl-C: stop now, the last checkpoint still holds
        process.stderr.write('\npredict: stopping after the batches in flight; run the same command again to resume\n');
        aborter.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const config = loadConfig({ file: flags.config, overrides: { model_repository: flags.repository, log_level: flags.logLevel ?? 'silent' } });
        const summary = await runPredict({
          config, model: flags.model, input: flags.input, output: flags.output,
          ...(flags.version === undefined ? {} : { version: flags.version }),
          keep: list(flags.keep), outputs: list(flags.outputs),
          batchRows: positive(flags.batchRows, '--batch-rows'), concurrency: positive(flags.concurrency, '--concurrency'),
          restart: flags.restart === true,
          progress: process.stderr, progressIntervalMs: Number(flags.progressSeconds) * 1000, checkpointIntervalMs: Number(flags.checkpointSeconds) * 1000,
          signal: aborter.signal,
        });
        report(summary, flags);
        process.exitCode = summary.interrupted ? INTERRUPTED : 0;
      } catch (error) {
        const message = isFerryError(error) ? `${error.code}: ${error.message}` : (error as Error).message;
        console.error(`ferry predict: ${message}`);
        process.exitCode = 1;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}

function report(summary: PredictSummary, flags: PredictFlags): void {
  if (flags.summary === 'json') {
    console.log(JSON.stringify({ ...summary, output: flags.output, checkpoint: summary.interrupted ? checkpointPath(flags.output) : undefined }));
    return;
  }
  const resumed = summary.resumedAt > 0 ? ` (resumed after row ${summary.resumedAt.toLocaleString('en-US')})` : '';
  const head = summary.interrupted ? 'interrupted after' : 'scored';
  process.stderr.write(
    `predict: ${head} ${summary.rows.toLocaleString('en-US')} rows${resumed} in ${summary.seconds.toFixed(1)} s, `
    + `${summary.rowsPerSecond.toLocaleString('en-US')} rows/s, peak RSS ${summary.peakRssMb} MB; `
    + `model ${summary.model} version ${summary.version} -> ${flags.output}\n`,
  );
  if (summary.interrupted) process.stderr.write(`predict: checkpoint ${checkpointPath(flags.output)}; run the same command again to resume\n`);
}

function list(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function positive(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw ferryError('FERRY_ERR_CONFIG_INVALID', { detail: `${flag} must be a positive integer, not '${value}'` });
  return n;
}
