/**
 * The shared conformance suite every runtime runs (as hono's router/common.case.test.ts does for routers).
 * Call it from the runtime's own test file: `runRuntimeConformance({ ... })`.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DATATYPES, elementCount, type InferRequest, type Tensor } from '../tensor/index.ts';
import type { ModelDir, ModelInstance, Runtime, RuntimeContext } from './runtime.ts';

export interface RuntimeConformanceOptions {
  readonly runtime: () => Runtime;
  /** A version folder this runtime loads. */
  readonly loadable: ModelDir;
  /** A version folder holding some other format, which canLoad must refuse. */
  readonly foreign: ModelDir;
  readonly options?: Readonly<Record<string, unknown>>;
  /** A valid request with at least two rows along dimension 0 (when the model batches). */
  readonly sample: InferRequest;
  /**
   * What `sample` must answer, computed independently of this runtime (by the library that trained the model,
   * numpy, or by hand from the model's definition): output name → its elements in row-major order. It names
   * every output of the signature.
   */
  readonly reference: Readonly<Record<string, readonly ReferenceValue[]>>;
  /** Relative tolerance for numbers (default 1e-6; float32 models compare at float32 precision). */
  readonly tolerance?: number;
  /**
   * Load a fresh instance for each test instead of one for the suite, for runtimes that load in milliseconds:
   * loading then belongs to each test, so a mutation run gives a mutant in the loading code only the tests
   * that reach it rather than every test of the target.
   */
  readonly instancePerTest?: boolean;
}

/** One reference element: a number (NaN matches NaN), an exact 64-bit integer, a boolean, or BYTES as text. */
export type ReferenceValue = number | bigint | boolean | string;

export const silentContext: RuntimeContext = {
  logger: { debug() {}, info() {}, warn() {}, error() {} },
  threads: { intraOp: 1, interOp: 1 },
};

export function runRuntimeConformance(opts: RuntimeConformanceOptions): void {
  describe(`runtime conformance: ${opts.runtime().name}`, () => {
    let instance: ModelInstance;
    const runtime = opts.runtime();

    const [before, after] = opts.instancePerTest === true ? [beforeEach, afterEach] : [beforeAll, afterAll];
    before(async () => {
      instance = await runtime.load(
        { name: 'conformance', version: '1', dir: opts.loadable, options: opts.options ?? {} },
        silentContext,
      );
    });
    after(async () => {
      await instance?.unload();
    });

    it('answers its own readiness check, when it has one, with a boolean and ready once loaded', async () => {
      if (instance.ready === undefined) return; // optional: without one, readiness is the version being AVAILABLE
      const answer = await instance.ready(new AbortController().signal);
      expect(answer).toBe(true);
    });

    it('detects its own format and refuses another', async () => {
      expect(await runtime.canLoad(opts.loadable)).toBe(true);
      expect(await runtime.canLoad(opts.foreign)).toBe(false);
    });

    it('describes a valid V2 signature', () => {
      const { signature } = instance;
      expect(signature.platform).toMatch(/\S/);
      expect(signature.inputs.length).toBeGreaterThan(0);
      expect(signature.outputs.length).toBeGreaterThan(0);
      for (const t of [...signature.inputs, ...signature.outputs]) {
        expect(t.name).toMatch(/\S/);
        expect(DATATYPES).toContain(t.datatype);
        for (const dim of t.shape) expect(dim === -1 || (Number.isInteger(dim) && dim >= 0)).toBe(true);
      }
      expect(Number.isInteger(instance.maxBatchSize) && instance.maxBatchSize >= 0).toBe(true);
    });

    it('declares FP32 or FP64, the datatype it computes in, for the numeric inputs it converts', () => {
      const { signature } = instance;
      if (signature.numericInputs !== 'convert') return; // it takes the declared datatypes only
      const numeric = signature.inputs.filter((t) => t.datatype !== 'BYTES');
      expect(numeric.length).toBeGreaterThan(0);
      for (const t of numeric) expect(['FP32', 'FP64'], t.name).toContain(t.datatype);
      // The data plane hands the instance its declared datatypes only: the sample is such a request.
      for (const t of opts.sample.inputs) expect(t.datatype, t.name).toBe(signature.inputs.find((i) => i.name === t.name)!.datatype);
    });

    it('answers every request of a batch, in order, with the outputs of its signature', async () => {
      const results = await instance.execute([opts.sample, opts.sample], new AbortController().signal);
      expect(results).toHaveLength(2);
      const outputNames = instance.signature.outputs.map((o) => o.name);
      for (const result of results) {
        // Every output the signature promises is there, once.
        expect(result.outputs.map((t) => t.name).sort()).toEqual([...outputNames].sort());
        for (const tensor of result.outputs) {
          expect(outputNames).toContain(tensor.name);
          expect(tensor.data.length).toBe(elementCount(tensor.shape));
          const declared = instance.signature.outputs.find((o) => o.name === tensor.name)!;
          expect(tensor.datatype).toBe(declared.datatype);
          expect(tensor.shape.length).toBe(declared.shape.length);
        }
      }
      expect(plain(results[1]!.outputs)).toEqual(plain(results[0]!.outputs));
    });

    it('answers the sample with the reference the runtime\'s own test provides, for every output', async () => {
      const outputNames = instance.signature.outputs.map((o) => o.name);
      expect(Object.keys(opts.reference).sort()).toEqual([...outputNames].sort());
      const [result] = await instance.execute([opts.sample], new AbortController().signal);
      for (const [name, expected] of Object.entries(opts.reference)) {
        const tensor = result!.outputs.find((t) => t.name === name);
        expect(tensor, `output ${name}`).toBeDefined();
        expectReference(name, tensor!, expected, opts.tolerance ?? 1e-6);
      }
    });

    it('leaves the caller its inputs unless told they are movable', async () => {
      const before = plain(opts.sample.inputs);
      await instance.execute([opts.sample], new AbortController().signal);
      await instance.execute([opts.sample], new AbortController().signal, false);
      expect(plain(opts.sample.inputs)).toEqual(before);
    });

    it('treats rows independently when it declares a batch dimension', async () => {
      if (instance.maxBatchSize === 0) return;
      const rows = opts.sample.inputs[0]!.shape[0]!;
      expect(rows).toBeGreaterThanOrEqual(2);
      const whole = (await instance.execute([opts.sample], new AbortController().signal))[0]!;
      const first = (await instance.execute([sliceRows(opts.sample, 0, 1)], new AbortController().signal))[0]!;
      for (const tensor of first.outputs) {
        const full = whole.outputs.find((t) => t.name === tensor.name)!;
        const perRow = full.data.length / full.shape[0]!;
        expect(plain([tensor])[0]!.data).toEqual(plain([{ ...full, data: full.data.slice(0, perRow) as Tensor['data'] }])[0]!.data);
      }
    });

    it('does not keep the caller waiting after unload of a second instance', async () => {
      const second = await runtime.load({ name: 'conformance', version: '2', dir: opts.loadable, options: opts.options ?? {} }, silentContext);
      await expect(second.unload()).resolves.toBeUndefined();
    });
  });
}

function expectReference(name: string, tensor: Tensor, expected: readonly ReferenceValue[], tolerance: number): void {
  const actual = Array.from(tensor.data as ArrayLike<unknown>, (v) => (v instanceof Uint8Array ? new TextDecoder().decode(v) : v));
  expect(actual.length, `${name}: element count`).toBe(expected.length);
  expected.forEach((want, i) => {
    const got = actual[i];
    if (typeof want === 'number' && typeof got === 'number') {
      if (Number.isNaN(want)) expect(got, `${name}[${i}]`).toBeNaN();
      else if (Math.abs(got - want) > tolerance * Math.abs(want) + 1e-12) expect.fail(`${name}[${i}]: ${got}, the reference ${want}`);
    } else {
      expect(got, `${name}[${i}]`).toEqual(want);
    }
  });
}

function plain(tensors: readonly Tensor[]): { name: string; data: unknown[] }[] {
  return tensors.map((t) => ({ name: t.name, data: Array.from(t.data as ArrayLike<unknown>, (v) => (v instanceof Uint8Array ? Array.from(v) : v)) }));
}

function sliceRows(request: InferRequest, start: number, end: number): InferRequest {
  return {
    ...request,
    inputs: request.inputs.map((t) => {
      const rows = t.shape[0]!;
      const perRow = t.data.length / rows;
      return { ...t, shape: [end - start, ...t.shape.slice(1)], data: t.data.slice(start * perRow, end * perRow) as Tensor['data'] };
    }),
  };
}
