/**
 * Third-party PMML conformance: every case of ../shared/conformance/pmml (documents and expected outputs from
 * R/rattle, KNIME, RapidMiner, sklearn2pmml via JPMML) must match within its tolerance (fallback_relative is
 * the floor). The pack is read in place, never copied into the repository.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { pmmlRuntime } from '../../src/runtimes/pmml/index.ts';
import { silentContext } from '../../src/runtimes/runtime.case.ts';
import type { InferRequest, Tensor } from '../../src/tensor/index.ts';
import { readCsv } from '../helpers/csv.ts';

const PACK = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/conformance/pmml');
const MANIFEST = path.join(PACK, 'MANIFEST.json');

interface Tolerance {
  readonly mode: string;
  readonly relative?: number;
  readonly zero_threshold?: number;
  readonly approx_relative?: number;
  readonly ulps?: number;
  readonly fallback_relative: number;
}

interface PmmlCase {
  readonly id: string;
  readonly model_file: { readonly path: string };
  readonly input_file: { readonly path: string };
  readonly expected_file: { readonly path: string };
  readonly na_tokens: readonly string[];
  readonly compare_columns: readonly string[];
  readonly tolerance: Tolerance;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Numeric pass rule of JPMML's VerificationUtil.acceptable, with the given relative precision. */
function acceptable(expected: number, actual: number, precision: number, zero: number): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  if (Math.abs(expected) <= zero && Math.abs(actual) <= zero) return true;
  const low = expected * (1 - precision);
  const high = expected * (1 + precision);
  return actual >= Math.min(low, high) && actual <= Math.max(low, high);
}

/** Distance in float32 units in the last place, after rounding both values to float32. */
function float32Ulps(expected: number, actual: number): number {
  const view = new DataView(new ArrayBuffer(8));
  const ordered = (x: number): number => {
    view.setFloat32(0, x);
    const bits = view.getInt32(0);
    return bits < 0 ? -(bits & 0x7fffffff) : bits;
  };
  return Math.abs(ordered(expected) - ordered(actual));
}

const numberPattern = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

function sameCategory(expected: string, actual: string): boolean {
  if (expected === actual) return true;
  return numberPattern.test(expected) && numberPattern.test(actual) && Number(expected) === Number(actual);
}

const strictTally = { cells: 0, strictPasses: 0, looser: new Map<string, number>() };

const available = existsSync(MANIFEST);
if (!available) {
  const reason = `PMML conformance pack not found at ${MANIFEST}`;
  if (process.env['CI'] === 'true') {
    it('finds the PMML conformance pack', () => {
      throw new Error(reason);
    });
  } else console.warn(`skipping PMML conformance: ${reason}`);
}

const cases: PmmlCase[] = available ? (JSON.parse(readFileSync(MANIFEST, 'utf8')) as { cases: PmmlCase[] }).cases : [];

describe.runIf(available)('PMML conformance pack', () => {
  it('has the 30 cases the brief requires', () => {
    expect(cases).toHaveLength(30);
  });

  for (const c of cases) {
    it(c.id, async () => {
      const modelPath = path.join(PACK, c.model_file.path);
      const runtime = pmmlRuntime();
      const instance = await runtime.load(
        { name: c.id, version: '1', dir: { path: path.dirname(modelPath), files: [path.basename(modelPath)] }, options: {} },
        silentContext,
      );
      const input = readCsv(path.join(PACK, c.input_file.path));
      const na = new Set(c.na_tokens);
      const inputs: Tensor[] = instance.signature.inputs.map((meta) => {
        const column = input.header.indexOf(meta.name);
        expect(column, `input column ${meta.name}`).toBeGreaterThanOrEqual(0);
        const cells = input.rows.map((r) => r[column] ?? '');
        if (meta.datatype === 'BYTES') {
          return { name: meta.name, datatype: 'BYTES', shape: [cells.length], data: cells.map((cell) => (na.has(cell) ? new Uint8Array(0) : encoder.encode(cell))) };
        }
        return { name: meta.name, datatype: 'FP64', shape: [cells.length], data: Float64Array.from(cells, (cell) => (na.has(cell) || cell === '' ? NaN : Number(cell))) };
      });
      const request: InferRequest = { inputs };
      const [result] = await instance.execute([request], new AbortController().signal);
      const expected = readCsv(path.join(PACK, c.expected_file.path));
      const t = c.tolerance;
      const stated = t.relative ?? t.approx_relative ?? t.fallback_relative;
      const precision = Math.max(stated, t.fallback_relative);
      const zero = Math.max(t.zero_threshold ?? stated, t.fallback_relative);
      const failures: string[] = [];
      for (const name of c.compare_columns) {
        const column = expected.header.indexOf(name);
        expect(column, `expected column ${name}`).toBeGreaterThanOrEqual(0);
        const tensor = result!.outputs.find((o) => o.name === name);
        expect(tensor, `output ${name} (outputs: ${result!.outputs.map((o) => o.name).join(', ')})`).toBeDefined();
        expected.rows.forEach((row, r) => {
          const cell = row[column] ?? '';
          if (cell === '') return;
          if (tensor!.datatype === 'BYTES') {
            const actual = decoder.decode((tensor!.data as Uint8Array[])[r]!);
            if (!sameCategory(cell, actual)) failures.push(`${name}[${r}]: expected '${cell}', got '${actual}'`);
            return;
          }
          const actual = (tensor!.data as Float64Array)[r]!;
          const want = Number(cell);
          if (!numberPattern.test(cell)) {
            if (!sameCategory(cell, String(actual))) failures.push(`${name}[${r}]: expected '${cell}', got ${actual}`);
            return;
          }
          strictTally.cells++;
          const strict = t.mode === 'ulp' ? float32Ulps(want, actual) <= (t.ulps ?? 0) : acceptable(want, actual, stated, t.zero_threshold ?? stated);
          if (strict) strictTally.strictPasses++;
          else strictTally.looser.set(c.id, (strictTally.looser.get(c.id) ?? 0) + 1);
          if (!acceptable(want, actual, precision, zero)) failures.push(`${name}[${r}]: expected ${cell}, got ${actual}`);
        });
      }
      await instance.unload();
      expect(failures.slice(0, 10), `${failures.length} mismatches`).toEqual([]);
    });
  }

  afterAll(() => {
    const looser = [...strictTally.looser].map(([id, n]) => `${id}: ${n}`).join(', ');
    console.log(`PMML pack: ${strictTally.strictPasses}/${strictTally.cells} numeric cells also within the source's own (stricter) tolerance; beyond it, within fallback_relative: ${looser || 'none'}`);
  });
});
