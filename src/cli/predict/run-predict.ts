import path from 'node:path';
import type { FerryConfig } from '../../config/index.ts';
import { ferryError } from '../../errors/index.ts';
import { takesWideIntegers } from '../../protocol/http/exact-json.ts';
import type { InferRequest } from '../../tensor/index.ts';
import { openOfflineModels } from '../offline-models.ts';
import { identityMismatch, inputIdentity, readCheckpoint, removeCheckpoint, writeCheckpoint, type RunIdentity } from './checkpoint.ts';
import { openCsv } from './csv-source.ts';
import { planInputs } from './input-plan.ts';
import { openJsonl } from './jsonl-source.ts';
import { openParquetSink } from './parquet-sink.ts';
import { openParquet } from './parquet-source.ts';
import { resolveModelTarget } from './model-target.ts';
import type { OutputBatch } from './output-rows.ts';
import { collectGarbage } from './heap.ts';
import { createProgress, type ProgressTarget } from './progress.ts';
import type { ResumePoint, RowBatch, RowSource } from './row-source.ts';
import { openTextSink, type Sink } from './sink.ts';

export type DataFormat = 'csv' | 'jsonl' | 'parquet';

export interface PredictOptions {
  readonly config: Readonly<FerryConfig>;
  readonly model: string;
  readonly version?: string;
  readonly input: string;
  readonly output: string;
  readonly keep: readonly string[];
  /** Outputs to write; empty: every output of the model. */
  readonly outputs: readonly string[];
  readonly batchRows: number;
  /** Batches queued at the model at once, so that its scheduler merges and pipelines them as a server's would. */
  readonly concurrency: number;
  /** Ignore a checkpoint and start over. */
  readonly restart: boolean;
  readonly progress: ProgressTarget;
  readonly progressIntervalMs: number;
  readonly checkpointIntervalMs: number;
  /** Stops the run at the next batch; what is done is kept for a resume. */
  readonly signal?: AbortSignal;
}

export interface PredictSummary {
  readonly model: string;
  readonly version: string;
  readonly rows: number;
  /** Rows done by earlier, interrupted runs that this one resumed after. */
  readonly resumedAt: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
  readonly peakRssMb: number;
  readonly interrupted: boolean;
}

/** The data format of a file, from its extension. */
export function formatOf(file: string): DataFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.parquet') return 'parquet';
  throw ferryError('FERRY_ERR_DATA_FILE', { file: path.basename(file), detail: `unknown format '${ext || '(no extension)'}': use .csv, .jsonl or .parquet` });
}

/**
 * Scores a data file with one model version, streaming: batches of rows are read, sent through the model's own
 * queue (the serving scheduler, so batching and instances work as they do in `ferry serve`), and written in input
 * order. A checkpoint beside the output records, every `checkpointIntervalMs`, how far the input was read and how
 * long the output was; an interrupted run (Ctrl-C, a kill, a crash) started again with the same arguments cuts the
 * output back to that length and continues from there.
 */
export async function runPredict(options: PredictOptions): Promise<PredictSummary> {
  const inputFormat = formatOf(options.input);
  const outputFormat = formatOf(options.output);
  const { config } = options;
  const target = await resolveModelTarget(options.model, config.model_repository, config.repository.allowed_paths.map((p) => path.resolve(p)), options.version);
  try {
    const models = await openOfflineModels({ config: { ...config, model_repository: target.root, repository: { ...config.repository, allowed_paths: [...target.allowedPaths] } }, source: target.source });
    try {
      const served = models.manager.resolve(target.name, target.version === undefined ? {} : { version: target.version });
      const signature = served.instance!.signature;
      for (const wanted of options.outputs) {
        if (!signature.outputs.some((o) => o.name === wanted)) throw ferryError('FERRY_ERR_OUTPUT_UNKNOWN', { model: target.name, output: wanted, expected: signature.outputs.map((o) => o.name).join(', ') });
      }
      const identity: RunIdentity = {
        input: await inputIdentity(options.input), output: path.resolve(options.output), model: target.name, version: String(served.version),
        keep: options.keep, outputs: options.outputs,
      };
      const saved = options.restart ? undefined : await readCheckpoint(options.output);
      if (saved) {
        const why = identityMismatch(saved.identity, identity);
        if (why) throw ferryError('FERRY_ERR_DATA_FILE', { file: path.basename(options.output), detail: `a checkpoint of another run is beside it (${why}): pass --restart to start over` });
      }
      const source = inputFormat === 'csv' ? await openCsv(options.input, saved?.done)
        : inputFormat === 'parquet' ? await openParquet(options.input, saved?.done)
          : await openJsonl(options.input, saved?.done, takesWideIntegers(signature.inputs));
      for (const column of options.keep) {
        if (!source.columns.includes(column)) throw ferryError('FERRY_ERR_DATA_FILE', { file: path.basename(options.input), detail: `--keep '${column}': no such column (columns: ${source.columns.join(', ')})` });
      }
      const plan = planInputs(signature, source.columns, options.keep, path.basename(options.input));
      const sink = outputFormat === 'parquet' ? await openParquetSink(options.output, saved?.sink) : await openTextSink(options.output, outputFormat, saved?.sink);
      const request = (batch: RowBatch, before: number): InferRequest => ({
        inputs: plan.tensors(batch, before),
        ...(options.outputs.length ? { outputs: options.outputs.map((name) => ({ name })) } : {}),
      });
      const run = { model: target.name, version: String(served.version), from: saved?.done ?? { rows: 0, offset: 0 } };
      return await pump(options, source, sink, identity, run, async (batch, before) => {
        const response = await models.dataplane.infer(target.name, request(batch, before), { protocol: 'predict', version: String(served.version) });
        return {
          rows: batch.rows,
          kept: options.keep.map((name) => ({ name, values: batch.column(name)! })),
          outputs: response.outputs,
        };
      });
    } finally {
      await models.close();
    }
  } finally {
    await target.cleanup();
  }
}

/** Rows between full garbage collections: memory stays bounded (heap.ts), at a few per cent of the run's time. */
const COLLECT_EVERY_ROWS = 20_000;

type Score = (batch: RowBatch, rowsBefore: number) => Promise<OutputBatch>;

/** Reads, scores with up to `concurrency` batches in flight, writes in order, checkpoints; stops on the signal. */
async function pump(
  options: PredictOptions, source: RowSource, sink: Sink, identity: RunIdentity,
  run: { model: string; version: string; from: ResumePoint }, score: Score,
): Promise<PredictSummary> {
  const started = performance.now();
  const progress = createProgress(options.progress, options.progressIntervalMs, started);
  const resumedAt = run.from.rows;
  let done = run.from;
  let lastCheckpoint = started;
  const checkpoint = async () => {
    const state = await sink.commit();
    await writeCheckpoint(options.output, { identity, done, sink: state });
    lastCheckpoint = performance.now();
  };
  const inFlight: { batch: RowBatch; result: Promise<OutputBatch> }[] = [];
  let rowsSinceCollection = 0;
  const settle = async () => {
    const next = inFlight.shift()!;
    await sink.write(await next.result);
    done = next.batch.resume;
    const fraction = source.total.unit === 'bytes' ? done.offset / Math.max(1, source.total.size) : done.rows / Math.max(1, source.total.size);
    progress.update(done.rows - resumedAt, fraction);
    if (performance.now() - lastCheckpoint >= options.checkpointIntervalMs) await checkpoint();
    rowsSinceCollection += next.batch.rows;
    if (rowsSinceCollection >= COLLECT_EVERY_ROWS) {
      collectGarbage();
      rowsSinceCollection = 0;
    }
  };
  let queuedRows = resumedAt;
  let interrupted = false;
  try {
    for await (const batch of source.batches(options.batchRows)) {
      const result = score(batch, queuedRows);
      result.catch(() => undefined); // awaited in order below; an early failure must not be unhandled meanwhile
      inFlight.push({ batch, result });
      queuedRows += batch.rows;
      while (inFlight.length >= options.concurrency) await settle();
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
    }
    while (inFlight.length > 0) await settle();
  } catch (error) {
    // Keep what was written before the failure, so that a corrected run can resume rather than start over.
    await Promise.allSettled(inFlight.map((f) => f.result));
    await checkpoint().catch(() => undefined);
    await sink.abandon().catch(() => undefined);
    await source.close();
    progress.done();
    throw error;
  }
  await source.close();
  progress.done();
  if (interrupted) {
    await checkpoint();
    await sink.abandon();
  } else {
    await sink.finish();
    await removeCheckpoint(options.output);
  }
  const seconds = (performance.now() - started) / 1000;
  const rows = done.rows - resumedAt;
  return {
    model: run.model, version: run.version, rows, resumedAt, seconds,
    rowsPerSecond: seconds > 0 ? Math.round(rows / seconds) : 0,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    interrupted,
  };
}
