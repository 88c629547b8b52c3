/** Loading the sklearn fixtures (test/fixtures/sklearn/<case>/{model,expected}.json) into requests and answers. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { InferRequest, Tensor, TensorMetadata } from '../../src/tensor/index.ts';

export const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/sklearn');

export interface Expected {
  readonly note: string;
  readonly inputs: Record<string, (number | string | null)[]>;
  readonly predict?: (number | string)[];
  readonly predict_proba?: number[][];
  /** For pipelines of transformers only. */
  readonly transform?: number[][];
}

export function fixtureCases(): string[] {
  return readdirSync(FIXTURES).filter((name) => statSync(path.join(FIXTURES, name)).isDirectory()).sort();
}

export function fixtureDir(name: string) {
  return { path: path.join(FIXTURES, name), files: ['expected.json', 'model.json'] };
}

export function readExpected(name: string): Expected {
  return JSON.parse(readFileSync(path.join(FIXTURES, name, 'expected.json'), 'utf8')) as Expected;
}

const encoder = new TextEncoder();

/** One tensor per declared input, from the fixture's columns (null = missing: NaN or an empty string). */
export function requestFor(inputs: readonly TensorMetadata[], columns: Expected['inputs']): InferRequest {
  return {
    inputs: inputs.map((meta): Tensor => {
      const values = columns[meta.name];
      if (!values) throw new Error(`fixture has no column ${meta.name}`);
      if (meta.datatype === 'BYTES') {
        return { name: meta.name, datatype: 'BYTES', shape: [values.length], data: values.map((v) => encoder.encode(v === null ? '' : String(v))) };
      }
      return { name: meta.name, datatype: 'FP64', shape: [values.length], data: Float64Array.from(values, (v) => (v === null ? NaN : Number(v))) };
    }),
  };
}

const decoder = new TextDecoder();

/** A tensor's elements as plain numbers / strings. */
export function plainValues(tensor: Tensor): (number | string)[] {
  if (Array.isArray(tensor.data)) return tensor.data.map((b) => decoder.decode(b));
  return Array.from(tensor.data as ArrayLike<number | bigint>, (v) => Number(v));
}

/** |got - want| <= rel * |want| + abs. */
export function close(got: number, want: number, rel = 1e-6, abs = 1e-9): boolean {
  return Math.abs(got - want) <= rel * Math.abs(want) + abs;
}
