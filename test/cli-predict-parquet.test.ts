// `ferry predict` on Parquet: input written by an independent implementation (parquet-wasm, Apache Arrow's Rust
// parquet crate), output read back by it; predictions checked against XGBoost itself (Debian's python3) reading
// the same rows; several row groups; resumed after kill -9; a file that is not Parquet.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Float64, Table as ArrowTable, tableFromIPC, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import { readParquet, Table, writeParquet, WriterPropertiesBuilder } from 'parquet-wasm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkpointPath } from '../src/cli/predict/checkpoint.ts';
import { readCsv } from './helpers/csv.ts';
import { FEATURES, IRIS, predict, PYTHON, REFERENCE } from './helpers/predict.ts';
import { stopAll, tracked } from './helpers/processes.ts';
import { REPO_ROOT } from './helpers/server.ts';

const NODE = path.join(REPO_ROOT, 'node_modules/.bin/node');
const ROWS = 3000;
const python = promisify(execFile);

let scratch: string;
/** Iris-like rows with a few missing values; `id` a string. */
let rows: { id: string; values: (number | null)[] }[];

/** Writes rows as Parquet with parquet-wasm, `groupRows` rows per row group. */
async function writeIrisParquet(file: string, data: typeof rows, groupRows: number): Promise<void> {
  const table = new ArrowTable({
    id: vectorFromArray(data.map((r) => r.id), new Utf8()),
    ...Object.fromEntries(FEATURES.map((name, f) => [name, vectorFromArray(data.map((r) => r.values[f] ?? null), new Float64())])),
  });
  const properties = new WriterPropertiesBuilder().setMaxRowGroupSize(groupRows).build();
  await writeFile(file, writeParquet(Table.fromIPCStream(tableToIPC(table, 'stream')), properties));
}

/** A Parquet file read with parquet-wasm: its column names and types, and its rows as plain objects. */
async function readWithArrow(file: string): Promise<{ columns: string[]; types: string[]; rows: Record<string, unknown>[] }> {
  const table = tableFromIPC(readParquet(await readFile(file)).intoIPCStream());
  const columns = table.schema.fields.map((f) => f.name);
  return { columns, types: table.schema.fields.map((f) => String(f.type)), rows: table.toArray().map((row: { toJSON(): Record<string, unknown> }) => row.toJSON()) };
}

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'ferry-predict-parquet-'));
  const reference = JSON.parse(await readFile(path.join(IRIS, 'reference.json'), 'utf8')) as { rows: (number | null)[][] };
  rows = Array.from({ length: ROWS }, (_, i) => {
    const base = reference.rows[i % reference.rows.length]!;
    const values = base.map((v, f) => (v === null || (i + f) % 97 === 0 ? null : Math.round((v + ((i * 7 + f * 3) % 10) / 20) * 1000) / 1000));
    return { id: `r${i}`, values };
  });
}, 60_000);
afterEach(() => stopAll());
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('ferry predict on Parquet', () => {
  it('reads a Parquet file of several row groups and writes Parquet with what XGBoost itself predicts', async () => {
    const input = path.join(scratch, 'iris.parquet');
    await writeIrisParquet(input, rows, 700); // five row groups, the last one short
    const output = path.join(scratch, 'preds.parquet');
    const summary = await predict({ model: IRIS, input, output, keep: ['id'] });
    expect(summary).toMatchObject({ rows: ROWS, interrupted: false });

    const read = await readWithArrow(output);
    expect(read.columns).toEqual(['id', 'probabilities_0', 'probabilities_1', 'probabilities_2', 'label']);
    expect(read.types).toEqual(['Utf8', 'Float64', 'Float64', 'Float64', 'Int64']);
    expect(read.rows.map((r) => r['id'])).toEqual(rows.map((r) => r.id));

    // XGBoost reads the same rows (as CSV: pandas here cannot read Parquet without pyarrow or fastparquet).
    const csv = path.join(scratch, 'iris.csv');
    await writeFile(csv, `${FEATURES.join(',')}\n${rows.map((r) => r.values.map((v) => (v === null ? '' : String(v))).join(',')).join('\n')}\n`);
    const expected = path.join(scratch, 'xgboost.csv');
    await python(PYTHON, [REFERENCE, 'xgboost', path.join(IRIS, '1/model.json'), csv, expected], { timeout: 120_000 });
    const theirs = readCsv(expected).rows.map((r) => r.map(Number));
    for (let r = 0; r < ROWS; r++) {
      for (let c = 0; c < 3; c++) expect(Math.abs((read.rows[r]![`probabilities_${c}`] as number) - theirs[r]![c]!)).toBeLessThan(1e-6);
      expect(Number(read.rows[r]!['label'])).toBe(theirs[r]!.indexOf(Math.max(...theirs[r]!)));
    }
  }, 180_000);

  it('writes the same predictions to Parquet as to CSV, and reads its own Parquet output back', async () => {
    const input = path.join(scratch, 'iris-own.parquet');
    await writeIrisParquet(input, rows, 1000);
    const asCsv = path.join(scratch, 'from-parquet.csv');
    await predict({ model: IRIS, input, output: asCsv, keep: ['id'] });
    const first = path.join(scratch, 'first.parquet');
    await predict({ model: IRIS, input, output: first, keep: ['id'] });
    const csvRows = readCsv(asCsv).rows;
    const parquetRows = (await readWithArrow(first)).rows;
    expect(parquetRows.map((r) => [r['id'], r['probabilities_0'], r['probabilities_1'], r['probabilities_2'], Number(r['label'])].map(String))).toEqual(csvRows);
    // Ferry's own Parquet output read back as input: its columns are there (and the iris features are not).
    await expect(predict({ model: IRIS, input: first, output: path.join(scratch, 'again.csv') }))
      .rejects.toThrow(/needs a column 'sepal_length'; the file's columns: id, probabilities_0, probabilities_1, probabilities_2, label/);
  }, 120_000);

  it('refuses a file that is not Parquet with the file named', async () => {
    const input = path.join(scratch, 'fake.parquet');
    await writeFile(input, 'id,sepal_length\n1,2\n');
    await expect(predict({ model: IRIS, input, output: path.join(scratch, 'fake-out.csv') })).rejects.toThrow(/fake\.parquet: not a Parquet file/);
  });
});

describe('ferry predict on Parquet after kill -9', () => {
  it('continues from the checkpoint and writes a file with every row once, in order, that parquet-wasm reads', async () => {
    const BIG = 120_000;
    const big = path.join(scratch, 'big.parquet');
    await writeIrisParquet(big, Array.from({ length: BIG }, (_, i) => ({ id: `b${i}`, values: rows[i % ROWS]!.values })), 10_000);
    const oneShot = path.join(scratch, 'big-one-shot.parquet');
    expect((await predict({ model: IRIS, input: big, output: oneShot, keep: ['id'] })).rows).toBe(BIG);

    const output = path.join(scratch, 'big-killed.parquet');
    const cli = () => tracked(spawn(NODE, ['bin/ferry.js', 'predict', '--model', IRIS, '--input', big, '--output', output, '--keep', 'id', '--batch-rows', '512', '--checkpoint-seconds', '0.2', '--summary', 'json'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
    const first = cli();
    const firstExit = new Promise<string | null>((resolve) => first.on('exit', (_code, signal) => resolve(signal)));
    for (let i = 0; i < 900; i++) {
      const saved = await readFile(checkpointPath(output), 'utf8').catch(() => undefined);
      if (saved && JSON.parse(saved).done.rows > 10_000) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    first.kill('SIGKILL');
    expect(await firstExit).toBe('SIGKILL');
    const saved = JSON.parse(await readFile(checkpointPath(output), 'utf8'));
    expect(saved.done.rows).toBeGreaterThan(10_000);
    expect(saved.done.rows).toBeLessThan(BIG);
    expect((await stat(output)).size).toBeGreaterThanOrEqual(saved.sink.bytes);

    const second = cli();
    let out = '';
    second.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    expect(await new Promise<number | null>((resolve) => second.on('exit', resolve))).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ resumedAt: saved.done.rows, rows: BIG - saved.done.rows, interrupted: false });
    expect(existsSync(checkpointPath(output))).toBe(false);

    const resumed = await readWithArrow(output);
    const whole = await readWithArrow(oneShot);
    expect(resumed.rows.length).toBe(BIG);
    expect(resumed.rows).toEqual(whole.rows);
  }, 300_000);
});
