// `ferry predict`: offline scoring of CSV and JSON Lines files, checked against the training libraries (XGBoost,
// scikit-learn in Debian's python3) and against the same rows served over V2; resumed after a kill; bad input.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.ts';
import { checkpointPath } from '../src/cli/predict/checkpoint.ts';
import type { PredictOptions } from '../src/cli/predict/run-predict.ts';
import { readCsv } from './helpers/csv.ts';
import { FEATURES, IRIS, predict, PYTHON, REFERENCE } from './helpers/predict.ts';
import { EXAMPLE_MODELS, postJson, REPO_ROOT, startFerry } from './helpers/server.ts';

const NODE = path.join(REPO_ROOT, 'node_modules/.bin/node');
const ROWS = 3000;
const python = promisify(execFile);
let scratch: string;
let irisCsv: string;
/** The iris rows: a few missing values, and ids holding commas and quotes to exercise CSV quoting. */
let rows: { id: string; values: (number | null)[] }[];

const numbers = (file: string, columns: readonly string[]) => {
  const table = readCsv(file);
  const at = columns.map((c) => table.header.indexOf(c));
  expect(at.every((i) => i >= 0)).toBe(true);
  return table.rows.map((r) => at.map((i) => Number(r[i])));
};

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'ferry-predict-'));
  const reference = JSON.parse(await readFile(path.join(IRIS, 'reference.json'), 'utf8')) as { rows: (number | null)[][] };
  rows = Array.from({ length: ROWS }, (_, i) => {
    const base = reference.rows[i % reference.rows.length]!;
    const values = base.map((v, f) => (v === null || (i + f) % 97 === 0 ? null : Math.round((v + ((i * 7 + f * 3) % 10) / 20) * 1000) / 1000));
    return { id: i % 50 === 0 ? `row "${i}", special` : `r${i}`, values };
  });
  irisCsv = path.join(scratch, 'iris.csv');
  const quote = (s: string) => (/[",]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
  await writeFile(irisCsv, `id,${FEATURES.join(',')}\n${rows.map((r) => [quote(r.id), ...r.values.map((v) => (v === null ? '' : String(v)))].join(',')).join('\n')}\n`);
}, 60_000);
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('ferry predict on CSV and JSON Lines', () => {
  let scored: string;
  beforeAll(async () => {
    scored = path.join(scratch, 'preds.csv');
    const summary = await predict({ model: IRIS, input: irisCsv, output: scored, keep: ['id'] });
    expect(summary).toMatchObject({ model: 'iris_xgboost', version: '1', rows: ROWS, resumedAt: 0, interrupted: false });
  }, 60_000);

  it('writes one row per input row, in order, with the kept column first and one column per output value', () => {
    const table = readCsv(scored);
    expect(table.header).toEqual(['id', 'probabilities_0', 'probabilities_1', 'probabilities_2', 'label']);
    expect(table.rows.map((r) => r[0])).toEqual(rows.map((r) => r.id));
    expect(existsSync(checkpointPath(scored))).toBe(false);
  });

  it('predicts what XGBoost itself predicts for the same file (missing values included)', async () => {
    const expected = path.join(scratch, 'xgboost.csv');
    await python(PYTHON, [REFERENCE, 'xgboost', path.join(IRIS, '1/model.json'), irisCsv, expected], { timeout: 120_000 });
    const ours = numbers(scored, ['probabilities_0', 'probabilities_1', 'probabilities_2']);
    const theirs = numbers(expected, ['p0', 'p1', 'p2']);
    expect(ours).toHaveLength(ROWS);
    for (let r = 0; r < ROWS; r++) for (let c = 0; c < 3; c++) expect(Math.abs(ours[r]![c]! - theirs[r]![c]!)).toBeLessThan(1e-6);
    // The label is the most probable class.
    const labels = numbers(scored, ['label']).map((r) => r[0]);
    expect(labels).toEqual(theirs.map((p) => p.indexOf(Math.max(...p))));
  }, 120_000);

  it('answers exactly what a server answers for the same rows over V2', async () => {
    const ferry = await startFerry();
    try {
      const served: number[][] = [];
      for (let start = 0; start < ROWS; start += 500) {
        const chunk = rows.slice(start, start + 500);
        const inputs = FEATURES.map((name, f) => ({ name, datatype: 'FP64', shape: [chunk.length], data: chunk.map((r) => r.values[f]) }));
        const answer = await postJson(`${ferry.url}/v2/models/iris_xgboost/infer`, { inputs });
        expect(answer.status).toBe(200);
        const probabilities = answer.body.outputs.find((o: { name: string }) => o.name === 'probabilities').data as number[];
        for (let r = 0; r < chunk.length; r++) served.push(probabilities.slice(r * 3, r * 3 + 3));
      }
      expect(numbers(scored, ['probabilities_0', 'probabilities_1', 'probabilities_2'])).toEqual(served);
    } finally {
      await ferry.stop();
    }
  }, 120_000);

  it('reads and writes JSON Lines with the same predictions', async () => {
    const jsonl = path.join(scratch, 'iris.jsonl');
    await writeFile(jsonl, rows.map((r) => JSON.stringify({ id: r.id, ...Object.fromEntries(FEATURES.map((f, i) => [f, r.values[i]])) })).join('\n'));
    const out = path.join(scratch, 'preds.jsonl');
    expect((await predict({ model: IRIS, input: jsonl, output: out, keep: ['id'], outputs: ['probabilities'] })).rows).toBe(ROWS);
    const lines = (await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { id: string; probabilities: number[] });
    expect(lines.map((l) => l.id)).toEqual(rows.map((r) => r.id));
    expect(Object.keys(lines[0]!)).toEqual(['id', 'probabilities']);
    expect(lines.map((l) => l.probabilities)).toEqual(numbers(scored, ['probabilities_0', 'probabilities_1', 'probabilities_2']));
  }, 60_000);

  it('scores a scikit-learn pipeline exported with ferry_sklearn as scikit-learn does, categorical text included', async () => {
    const dir = path.join(scratch, 'sklearn');
    await python(PYTHON, [REFERENCE, 'sklearn', dir, '400'], { timeout: 120_000, env: { ...process.env, PYTHONPATH: path.join(REPO_ROOT, 'python'), PYTHONWARNINGS: 'ignore' } });
    const out = path.join(scratch, 'churn.csv');
    await predict({ model: path.join(dir, 'churn'), input: path.join(dir, 'rows.csv'), output: out, keep: ['id'], outputs: ['predict_proba'] });
    const ours = numbers(out, ['predict_proba_0', 'predict_proba_1']);
    const theirs = numbers(path.join(dir, 'expected.csv'), ['p0', 'p1']);
    expect(ours).toHaveLength(400);
    for (let r = 0; r < 400; r++) for (let c = 0; c < 2; c++) expect(Math.abs(ours[r]![c]! - theirs[r]![c]!)).toBeLessThan(1e-12);
  }, 180_000);

  it('takes a model by name in a repository, and a version folder', async () => {
    const byName = path.join(scratch, 'by-name.csv');
    await predict({ model: 'iris_xgboost', config: loadConfig({ env: {}, overrides: { log_level: 'silent', model_repository: EXAMPLE_MODELS } }), input: irisCsv, output: byName, keep: ['id'] });
    expect(await readFile(byName, 'utf8')).toBe(await readFile(scored, 'utf8'));
    const byVersion = path.join(scratch, 'by-version.csv');
    expect((await predict({ model: path.join(IRIS, '1'), input: irisCsv, output: byVersion, keep: ['id'] })).version).toBe('1');
    expect(await readFile(byVersion, 'utf8')).toBe(await readFile(scored, 'utf8'));
  }, 60_000);
});

describe('ferry predict refuses bad input with the row and column', () => {
  const attempt = async (csv: string, options: Partial<PredictOptions> = {}) => {
    const input = path.join(scratch, `bad-${Math.random().toString(36).slice(2)}.csv`);
    await writeFile(input, csv);
    return predict({ model: IRIS, input, output: `${input}.out.csv`, ...options }).then(() => 'scored', (e: Error & { code?: string }) => `${e.code}: ${e.message}`);
  };

  it('names a missing column, a cell that is not a number, a ragged row, an unknown format and an unknown output', async () => {
    expect(await attempt('sepal_length,sepal_width,petal_length\n1,2,3\n')).toMatch(/^FERRY_ERR_DATA_FILE: bad-\w+\.csv: model input 'petal_width' \[-1\] needs a column 'petal_width'; the file's columns: sepal_length, sepal_width, petal_length$/);
    expect(await attempt(`${FEATURES.join(',')}\n1,2,3,4\n1,2,three,4\n`)).toMatch(/: row 2, column 'petal_length': "three" is not a number$/);
    expect(await attempt(`${FEATURES.join(',')}\n1,2,3,4\n1,2,3\n`)).toMatch(/: row 2 has 3 fields, the header has 4$/);
    expect(await attempt(`${FEATURES.join(',')}\n1,2,3,4\n`, { output: path.join(scratch, 'out.xlsx') })).toMatch(/^FERRY_ERR_DATA_FILE: out\.xlsx: unknown format '\.xlsx'/);
    expect(await attempt(`${FEATURES.join(',')}\n1,2,3,4\n`, { outputs: ['score'] })).toMatch(/^FERRY_ERR_OUTPUT_UNKNOWN: .*'score'/);
    expect(await attempt(`${FEATURES.join(',')}\n1,2,3,4\n`, { keep: ['id'] })).toMatch(/--keep 'id': no such column/);
  }, 60_000);
});

describe('ferry predict after an interruption', () => {
  const BIG = 120_000;
  let big: string;
  let oneShot: string;
  const cli = (args: string[]) => spawn(NODE, ['bin/ferry.js', 'predict', '--model', IRIS, '--input', big, '--keep', 'id', '--batch-rows', '512', '--checkpoint-seconds', '0.2', '--summary', 'json', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const finished = (child: ReturnType<typeof cli>) => new Promise<{ code: number | null; signal: string | null; out: string; err: string }>((resolve) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code, signal) => resolve({ code, signal, out, err }));
  });
  /** Waits until the run has checkpointed some rows, then signals it. */
  const interruptMidway = async (output: string, signal: NodeJS.Signals) => {
    const child = cli(['--output', output]);
    const done = finished(child);
    for (let i = 0; i < 600; i++) {
      const saved = await readFile(checkpointPath(output), 'utf8').catch(() => undefined);
      if (saved && JSON.parse(saved).done.rows > 10_000) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill(signal);
    return done;
  };

  beforeAll(async () => {
    big = path.join(scratch, 'big.csv');
    const lines = [`id,${FEATURES.join(',')}`];
    for (let i = 0; i < BIG; i++) lines.push(`${i},${rows[i % ROWS]!.values.map((v) => v ?? '').join(',')}`);
    await writeFile(big, `${lines.join('\n')}\n`);
    oneShot = path.join(scratch, 'big-one-shot.csv');
    expect((await predict({ model: IRIS, input: big, output: oneShot, keep: ['id'] })).rows).toBe(BIG);
  }, 120_000);

  it('continues from the checkpoint after kill -9 and writes the same file as one run', async () => {
    const output = path.join(scratch, 'big-killed.csv');
    const killed = await interruptMidway(output, 'SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    const saved = JSON.parse(await readFile(checkpointPath(output), 'utf8'));
    expect(saved.done.rows).toBeGreaterThan(10_000);
    expect(saved.done.rows).toBeLessThan(BIG);
    // Rows written after the last checkpoint are cut off and scored again.
    expect((await stat(output)).size).toBeGreaterThanOrEqual(saved.sink.bytes);
    const resumed = await finished(cli(['--output', output]));
    expect(resumed.code).toBe(0);
    const summary = JSON.parse(resumed.out);
    expect(summary).toMatchObject({ resumedAt: saved.done.rows, rows: BIG - saved.done.rows, interrupted: false });
    expect(await readFile(output, 'utf8')).toBe(await readFile(oneShot, 'utf8'));
    expect(existsSync(checkpointPath(output))).toBe(false);
  }, 180_000);

  it('stops on SIGINT after the batches in flight, exits 130 and says how to resume', async () => {
    const output = path.join(scratch, 'big-interrupted.csv');
    const stopped = await interruptMidway(output, 'SIGINT');
    expect(stopped.code).toBe(130);
    expect(stopped.err).toMatch(/run the same command again to resume/);
    const summary = JSON.parse(stopped.out);
    expect(summary.interrupted).toBe(true);
    const saved = JSON.parse(await readFile(checkpointPath(output), 'utf8'));
    expect(saved.done.rows).toBe(summary.rows);
    // Stopped cleanly: the file holds exactly the checkpointed rows.
    expect((await stat(output)).size).toBe(saved.sink.bytes);
    const resumed = await predict({ model: IRIS, input: big, output, keep: ['id'] });
    expect(resumed.resumedAt).toBe(summary.rows);
    expect(await readFile(output, 'utf8')).toBe(await readFile(oneShot, 'utf8'));
  }, 180_000);

  it('refuses a checkpoint of another run (the input changed) unless told to restart', async () => {
    const output = path.join(scratch, 'big-changed.csv');
    await interruptMidway(output, 'SIGKILL');
    const later = new Date(Date.now() + 5000);
    await utimes(big, later, later);
    await expect(predict({ model: IRIS, input: big, output, keep: ['id'] })).rejects.toThrow(/a checkpoint of another run is beside it \(the input file changed since\): pass --restart/);
    expect((await predict({ model: IRIS, input: big, output, keep: ['id'], restart: true })).resumedAt).toBe(0);
    expect(await readFile(output, 'utf8')).toBe(await readFile(oneShot, 'utf8'));
  }, 180_000);
});
