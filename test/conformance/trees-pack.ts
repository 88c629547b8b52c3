/**
 * Reads the third-party tree conformance packs (../shared/conformance/<pack> beside the repository): manifest,
 * CSV inputs as pandas would read them, expected outputs, and the manifest's tolerance rules; and checks a
 * runtime against one case.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { Runtime } from '../../src/runtimes/runtime.ts';
import { silentContext } from '../../src/runtimes/runtime.case.ts';
import type { InferRequest, Tensor, TensorMetadata } from '../../src/tensor/index.ts';
import { readCsv, type Table } from '../helpers/csv.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// FERRY_CONFORMANCE_ROOT: for copies of the repository elsewhere, such as mutation runs' sandboxes.
export const CONFORMANCE_ROOT = process.env['FERRY_CONFORMANCE_ROOT'] ?? path.resolve(REPO_ROOT, '../shared/conformance');

export interface Tolerance {
  readonly mode: string;
  readonly ulps: number;
  readonly float: 'float32' | 'float64';
  readonly fallback_relative: number;
}

export interface PackCase {
  readonly id: string;
  readonly model_file: { readonly path: string };
  readonly input_file: { readonly path: string };
  readonly expected_file: { readonly path: string };
  readonly na_tokens: readonly string[];
  readonly predict_options: Readonly<Record<string, unknown>>;
  readonly compare_columns: readonly string[];
  readonly tolerance: Tolerance;
  readonly notes: readonly string[];
}

export interface Pack {
  readonly root: string;
  readonly cases: readonly PackCase[];
}

/** The pack, or why it is unavailable (absent folder): the caller fails under CI=true and skips otherwise. */
export function openPack(name: string): Pack | { readonly missing: string } {
  const root = path.join(CONFORMANCE_ROOT, name);
  const manifest = path.join(root, 'MANIFEST.json');
  if (!existsSync(manifest)) return { missing: `conformance pack not found at ${manifest}` };
  const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { cases: PackCase[] };
  return { root, cases: parsed.cases };
}

/**
 * One request from the input table, shaped by the model's signature: BYTES inputs get the cell text (missing =
 * empty), FP64 inputs the number (missing = NaN, TRUE/FALSE = 1/0). `derive` supplies inputs that are not CSV
 * columns (one-hot indicators).
 */
export function requestFromTable(
  table: Table,
  inputs: readonly TensorMetadata[],
  naTokens: readonly string[],
  derive?: (name: string, cell: (column: string, row: number) => string | null) => ((row: number) => number) | undefined,
): InferRequest {
  const missing = new Set(naTokens);
  const index = new Map(table.header.map((h, i) => [h, i]));
  const cell = (column: string, row: number): string | null => {
    const value = table.rows[row]![index.get(column)!] ?? '';
    return missing.has(value) ? null : value;
  };
  const encoder = new TextEncoder();
  const rows = table.rows.length;
  return {
    inputs: inputs.map((meta) => {
      if (!index.has(meta.name)) {
        const derived = derive?.(meta.name, cell);
        if (!derived) throw new Error(`input '${meta.name}' is neither a CSV column nor derivable`);
        return { name: meta.name, datatype: 'FP64' as const, shape: [rows], data: Float64Array.from({ length: rows }, (_, r) => derived(r)) };
      }
      if (meta.datatype === 'BYTES') {
        return { name: meta.name, datatype: 'BYTES' as const, shape: [rows], data: Array.from({ length: rows }, (_, r) => encoder.encode(cell(meta.name, r) ?? '')) };
      }
      return { name: meta.name, datatype: 'FP64' as const, shape: [rows], data: Float64Array.from({ length: rows }, (_, r) => toNumber(cell(meta.name, r))) };
    }),
  };
}

function toNumber(value: string | null): number {
  if (value === null) return NaN;
  const upper = value.toUpperCase();
  if (upper === 'TRUE') return 1;
  if (upper === 'FALSE') return 0;
  return Number(value);
}

/** Distance to the next representable value above |x|, in float32 or float64. */
export function ulp(x: number, float: 'float32' | 'float64'): number {
  if (float === 'float32') {
    const f = new Float32Array([Math.abs(Math.fround(x))]);
    const bits = new Uint32Array(f.buffer);
    bits[0] = bits[0]! + 1;
    return f[0]! - Math.abs(Math.fround(x));
  }
  const d = new Float64Array([Math.abs(x)]);
  const bits = new BigUint64Array(d.buffer);
  bits[0] = bits[0]! + 1n;
  return d[0]! - Math.abs(x);
}

/**
 * The manifest's acceptance rule: within `ulps` ulps of the expected value (both rounded to the stated float
 * width), or within fallback_relative — whichever is looser (fallback_relative is the floor). `absolute` adds
 * an absolute allowance for the columns a manifest note says to compare absolutely.
 */
export function withinTolerance(actual: number, expected: number, tolerance: Tolerance, absolute = 0): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  const a = tolerance.float === 'float32' ? Math.fround(actual) : actual;
  const e = tolerance.float === 'float32' ? Math.fround(expected) : expected;
  const diff = Math.abs(a - e);
  return diff <= tolerance.ulps * ulp(e, tolerance.float) || Math.abs(actual - expected) <= tolerance.fallback_relative * Math.abs(expected) || diff <= absolute;
}

/** Columns a manifest note says were excluded by the source test and should be compared with an absolute 1e-6. */
export function absoluteColumns(notes: readonly string[]): Set<string> {
  const columns = new Set<string>();
  for (const note of notes) {
    const match = /excluded (.+?) from comparison/.exec(note);
    if (match) for (const name of match[1]!.match(/probability\([^)]*\)/g) ?? []) columns.add(name);
  }
  return columns;
}

export type OutputsByName = ReadonlyMap<string, Tensor>;

/**
 * The value our outputs give for an expected column in row `row`: `_target` / `_targetN` is the label
 * (classifiers) or the prediction; `probability(k)` / `probability(_targetN, k)` a class probability.
 */
export function outputValue(outputs: OutputsByName, column: string, row: number): number {
  const probability = /^probability\((?:_target(\d+), )?(\d+)\)$/.exec(column);
  if (probability) {
    const tensor = outputs.get('probabilities')!;
    const target = probability[1] === undefined ? 0 : Number(probability[1]) - 1;
    const classes = tensor.shape[tensor.shape.length - 1]!;
    const targets = tensor.shape.length === 3 ? tensor.shape[1]! : 1;
    return Number((tensor.data as ArrayLike<number>)[(row * targets + target) * classes + Number(probability[2])]!);
  }
  const target = /^_target(\d*)$/.exec(column);
  if (!target) throw new Error(`unknown expected column '${column}'`);
  const index = target[1] === '' ? 0 : Number(target[1]) - 1;
  const tensor = outputs.get('label') ?? outputs.get('predict')!;
  const width = tensor.shape.length === 2 ? tensor.shape[1]! : 1;
  return Number((tensor.data as ArrayLike<number | bigint>)[row * width + index]!);
}

/**
 * FERRY_CONFORMANCE_ROWS=N compares the first N rows of each case only: mutation runs evaluate every case once per
 * mutant with instrumented code, where the full tables (up to 2,263 rows) cost seconds a case.
 */
const ROW_LIMIT = Number(process.env['FERRY_CONFORMANCE_ROWS'] ?? Infinity);

function firstRows(table: Table): Table {
  return table.rows.length <= ROW_LIMIT ? table : { header: table.header, rows: table.rows.slice(0, ROW_LIMIT) };
}

/** Registers the pack's cases with `register`, or one failing (CI=true) / skipped test saying why it is absent. */
export function forEachCase(
  pack: ReturnType<typeof openPack>,
  api: { it: (name: string, fn: () => Promise<void>) => void; skip: (name: string, fn: () => void) => void },
  register: (root: string, c: PackCase) => () => Promise<void>,
): void {
  if ('missing' in pack) {
    if (process.env['CI'] === 'true') api.it('conformance pack is present', async () => { throw new Error(`${pack.missing} (required under CI=true)`); });
    else {
      console.log(`skipping tree conformance: ${pack.missing}`);
      api.skip(`conformance pack absent: ${pack.missing}`, () => {});
    }
    return;
  }
  for (const c of pack.cases) api.it(c.id, register(pack.root, c));
}

/** Supplies an input that is not a CSV column (e.g. a one-hot indicator) from the input table, or undefined. */
export type DeriveInput = (table: Table, name: string, cell: (column: string, row: number) => string | null) => ((row: number) => number) | undefined;

/**
 * Loads the case's model with `runtime` and `options`, predicts the whole input table in one request, and
 * expects every compared column of the expected table within the manifest's tolerance.
 */
export async function expectCaseMatches(root: string, c: PackCase, runtime: Runtime, options: Readonly<Record<string, unknown>>, derive?: DeriveInput): Promise<void> {
  const modelPath = path.join(root, c.model_file.path);
  const instance = await runtime.load({
    name: c.id,
    version: '1',
    dir: { path: path.dirname(modelPath), files: [path.basename(modelPath)] },
    options,
  }, silentContext);
  const input = firstRows(readCsv(path.join(root, c.input_file.path)));
  const expected = firstRows(readCsv(path.join(root, c.expected_file.path)));
  expect(expected.rows.length).toBe(input.rows.length);
  const request = requestFromTable(input, instance.signature.inputs, c.na_tokens, derive && ((name, cell) => derive(input, name, cell)));
  const [result] = await instance.execute([request], new AbortController().signal);
  const outputs = new Map(result!.outputs.map((t) => [t.name, t]));
  const absolute = absoluteColumns(c.notes);
  const failures: string[] = [];
  for (const column of c.compare_columns) {
    const col = expected.header.indexOf(column);
    expect(col, `expected column ${column}`).toBeGreaterThanOrEqual(0);
    expected.rows.forEach((row, r) => {
      const want = Number(row[col]);
      const got = outputValue(outputs, column, r);
      if (!withinTolerance(got, want, c.tolerance, absolute.has(column) ? 1e-6 : 0)) failures.push(`row ${r} ${column}: ${got} vs ${want}`);
    });
  }
  expect(failures.slice(0, 10), `${failures.length} values out of tolerance`).toEqual([]);
  await instance.unload();
}
