import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isFerryError } from '../../errors/index.ts';
import { CategoryLevels } from './categories.ts';
import { evaluateInChunks } from './chunked.ts';
import { bitsetOf, ForestBuilder } from './forest.ts';
import { findModelFile, readHead, readModelText } from './model-file.ts';
import { DEFAULT_MAX_BATCH_SIZE, readTreeOptions } from './options.ts';
import { outputMetadata, outputTensors, splitByRequest, valuesPerRow } from './outputs.ts';

describe('evaluateInChunks', () => {
  it('runs a small batch synchronously in one call', async () => {
    const calls: [number, number][] = [];
    await evaluateInChunks(10, 100, (s, e) => calls.push([s, e]), undefined, 10_000);
    expect(calls).toEqual([[0, 10]]);
  });

  it('splits a large batch and lets other work run between chunks', async () => {
    const events: string[] = [];
    const immediate = setImmediate(() => events.push('other work'));
    await evaluateInChunks(1000, 100, (s, e) => events.push(`${s}-${e}`), undefined, 30_000);
    clearImmediate(immediate);
    expect(events.filter((e) => e !== 'other work')).toEqual(['0-300', '300-600', '600-900', '900-1000']);
    expect(events.indexOf('other work')).toBeGreaterThan(0);
    expect(events.indexOf('other work')).toBeLessThan(events.length - 1);
  });

  it('makes no empty last call when the rows fill the chunks exactly', async () => {
    const calls: [number, number][] = [];
    await evaluateInChunks(600, 100, (s, e) => calls.push([s, e]), undefined, 30_000);
    expect(calls).toEqual([[0, 300], [300, 600]]);
  });

  it('stops with FERRY_ERR_CANCELLED when the batch is aborted', async () => {
    const controller = new AbortController();
    const evaluated: number[] = [];
    const run = evaluateInChunks(1000, 100, (s) => {
      evaluated.push(s);
      controller.abort();
    }, controller.signal, 30_000);
    const error = await run.catch((e: unknown) => e);
    expect(isFerryError(error) && error.code).toBe('FERRY_ERR_CANCELLED');
    expect(evaluated).toEqual([0]);
  });
});

describe('CategoryLevels', () => {
  it('maps training categories to codes, in the spellings clients send', () => {
    const strings = new CategoryLevels(['Consultant', 'Private']);
    expect([strings.code('Consultant'), strings.code('Private'), strings.code('Unknown'), strings.code(null)]).toEqual([0, 1, NaN, NaN]);
    const numbers = new CategoryLevels([70, 71.0, 82]);
    expect([numbers.code('71'), numbers.code('71.0'), numbers.code(' 82 '), numbers.code('83')]).toEqual([1, 1, 2, NaN]);
    const booleans = new CategoryLevels([false, true]);
    expect([booleans.code('FALSE'), booleans.code('True'), booleans.code('yes')]).toEqual([0, 1, NaN]);
    const xgboostStrings = new CategoryLevels(['3', '4', '8']);
    expect([xgboostStrings.code('8'), xgboostStrings.code('8.0')]).toEqual([2, 2]);
  });
});

describe('readTreeOptions', () => {
  const read = (options: Record<string, unknown>) => readTreeOptions('m', 'xgboost', options);
  const refusal = (options: Record<string, unknown>): string => {
    try {
      read(options);
    } catch (error) {
      expect(isFerryError(error) && error.code).toBe('FERRY_ERR_MODEL_LOAD_FAILED');
      return String(error);
    }
    throw new Error(`accepted ${JSON.stringify(options)}`);
  };

  it('reads num_iteration as the first iterations and iteration_range as [begin, end)', () => {
    expect(read({})).toEqual({ maxBatchSize: DEFAULT_MAX_BATCH_SIZE });
    expect(read({ num_iteration: 1 }).iterations).toEqual({ begin: 0, end: 1 });
    expect(read({ iteration_range: [0, 1] }).iterations).toEqual({ begin: 0, end: 1 });
    expect(read({ iteration_range: [2, 5] }).iterations).toEqual({ begin: 2, end: 5 });
  });

  it('refuses iterations that select nothing or are not counts, naming the option', () => {
    expect(refusal({ num_iteration: 0 })).toMatch(/options\.num_iteration must be a positive integer \(got 0\)/);
    expect(refusal({ num_iteration: 1.5 })).toMatch(/options\.num_iteration must be a positive integer/);
    expect(refusal({ num_iteration: -1 })).toMatch(/options\.num_iteration must be a positive integer/);
    expect(refusal({ num_iteration: 2, iteration_range: [0, 2] })).toMatch(/options\.num_iteration must be absent when iteration_range is given/);
    const range = /options\.iteration_range must be \[begin, end\] with 0 <= begin < end/;
    for (const bad of [[2, 2], [3, 2], [-1, 2], [0, 1.5], [0], [0, 1, 2], '0,1']) expect(refusal({ iteration_range: bad }), JSON.stringify(bad)).toMatch(range);
    expect(refusal({ num_iterations: 2 })).toMatch(/options\.num_iterations is not an option of the xgboost runtime/);
  });
});

describe('outputTensors and splitByRequest', () => {
  it('labels a binary row 1 only when p(1) is above 0.5, and a multiclass row by its first largest probability', () => {
    const binary = outputTensors({ kind: 'classification', targets: 1, classes: 2 }, Float64Array.of(0.5, 0.5, 0.4, 0.6, 0.9, 0.1), 3);
    expect(binary.map((t) => [t.name, t.datatype, t.shape])).toEqual([['probabilities', 'FP64', [3, 2]], ['label', 'INT64', [3]]]);
    expect(Array.from(binary[1]!.data as BigInt64Array)).toEqual([0n, 1n, 0n]);
    const multi = outputTensors({ kind: 'classification', targets: 1, classes: 3 }, Float64Array.of(0.2, 0.4, 0.4, 0.5, 0.2, 0.3, 0.1, 0.1, 0.8), 3);
    expect(Array.from(multi[1]!.data as BigInt64Array)).toEqual([1n, 0n, 2n]);
  });

  it('shapes several binary targets as [rows, targets, 2] with a label per target, and regressors as [rows] or [rows, targets]', () => {
    const targets = outputTensors({ kind: 'classification', targets: 2, classes: 2 }, Float64Array.of(0.3, 0.7, 0.8, 0.2), 1);
    expect(targets.map((t) => t.shape)).toEqual([[1, 2, 2], [1, 2]]);
    expect(Array.from(targets[1]!.data as BigInt64Array)).toEqual([1n, 0n]);
    expect(outputMetadata({ kind: 'regression', targets: 1 })).toEqual([{ name: 'predict', datatype: 'FP64', shape: [-1] }]);
    const regression = outputTensors({ kind: 'regression', targets: 2 }, Float64Array.of(1, 2, 3, 4), 2);
    expect(regression).toEqual([{ name: 'predict', datatype: 'FP64', shape: [2, 2], data: Float64Array.of(1, 2, 3, 4) }]);
    expect(outputMetadata({ kind: 'classification', targets: 2, classes: 3 })).toEqual([
      { name: 'probabilities', datatype: 'FP64', shape: [-1, 2, 3] },
      { name: 'label', datatype: 'INT64', shape: [-1, 2] },
    ]);
    expect(valuesPerRow({ kind: 'classification', targets: 2, classes: 3 })).toBe(6);
    expect(valuesPerRow({ kind: 'regression', targets: 3 })).toBe(3);
  });

  it('gives each request of a batch its own rows, in order', () => {
    const tensors = outputTensors({ kind: 'classification', targets: 1, classes: 2 }, Float64Array.of(0.9, 0.1, 0.2, 0.8, 0.6, 0.4), 3);
    const [first, second] = splitByRequest(tensors, [1, 2]);
    expect(first!.outputs.map((t) => [t.shape, Array.from(t.data as ArrayLike<number | bigint>)])).toEqual([[[1, 2], [0.9, 0.1]], [[1], [0n]]]);
    expect(second!.outputs.map((t) => [t.shape, Array.from(t.data as ArrayLike<number | bigint>)])).toEqual([[[2, 2], [0.2, 0.8, 0.6, 0.4]], [[2], [1n, 0n]]]);
    const whole = splitByRequest(tensors, [3]);
    expect(whole[0]!.outputs).toBe(tensors);
  });
});

describe('findModelFile', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'ferry-trees-'));
  writeFileSync(path.join(folder, 'a.json'), '{"learner": {}}');
  writeFileSync(path.join(folder, 'b.JSON'), '{"learner": {}}');
  writeFileSync(path.join(folder, 'other.json'), '{"graph": {}}');
  writeFileSync(path.join(folder, 'model.json'), '{"learner": {}}');
  writeFileSync(path.join(folder, 'learner.txt'), '{"learner": {}}');
  mkdirSync(path.join(folder, 'folder.json'));
  const spec = { preferred: 'model.json', extension: '.json', format: 'XGBoost JSON' };
  const looksRight = (head: string) => head.includes('"learner"');
  const dir = (files: string[]) => ({ path: folder, files });

  it('takes the preferred file, else the one file that looks right, and refuses to guess between several', async () => {
    expect(await findModelFile('m', dir(['a.json', 'model.json', 'other.json']), spec, looksRight)).toBe('model.json');
    expect(await findModelFile('m', dir(['other.json', 'b.JSON']), spec, looksRight)).toBe('b.JSON');
    expect(await findModelFile('m', dir(['other.json']), spec, looksRight)).toBeUndefined();
    expect(await findModelFile('m', dir(['learner.txt']), spec, looksRight)).toBeUndefined(); // right content, other extension
    const error = await findModelFile('m', dir(['a.json', 'b.JSON', 'other.json']), spec, looksRight).catch((e: unknown) => e);
    expect(isFerryError(error) && error.code).toBe('FERRY_ERR_MODEL_LOAD_FAILED');
    expect(String(error)).toMatch(/several XGBoost JSON files \(a\.json, b\.JSON\); name one with options\.file/);
  });

  it('takes an explicit file as named, when it is a file of the folder', async () => {
    expect(await findModelFile('m', dir(['a.json', 'model.json']), { ...spec, explicit: 'a.json' }, looksRight)).toBe('a.json');
    const error = await findModelFile('m', dir(['a.json']), { ...spec, explicit: 'missing.json' }, looksRight).catch((e: unknown) => e);
    expect(String(error)).toMatch(/options\.file 'missing\.json' is not a file of the version folder/);
  });

  it('reads the head of a file, and nothing from a file that cannot be read', async () => {
    expect(await readHead(path.join(folder, 'a.json'), 4)).toBe('{"le');
    expect(await readHead(path.join(folder, 'absent.json'))).toBe('');
    expect(await readModelText('m', dir(['a.json']), 'a.json')).toBe('{"learner": {}}');
    const error = await readModelText('m', dir(['folder.json']), 'folder.json').catch((e: unknown) => e);
    expect(isFerryError(error) && error.code).toBe('FERRY_ERR_MODEL_LOAD_FAILED');
    expect(String(error)).toMatch(/cannot read folder\.json \(EISDIR\)/);
  });

  it('closes each file it reads the head of', async () => {
    const open = () => readdirSync('/proc/self/fd').length;
    const before = open();
    for (let i = 0; i < 50; i++) await readHead(path.join(folder, 'a.json'));
    expect(open() - before).toBeLessThan(10);
  });
});

describe('category levels and sets at their edges', () => {
  it('keeps the first code of a level listed twice, and matches a string level with spaces around it', () => {
    const levels = new CategoryLevels(['a', 'b', 'a', 70, 70.0]);
    expect([levels.code('a'), levels.code('b'), levels.code('70'), levels.code(' b ')]).toEqual([0, 1, 3, 1]);
    expect([levels.code(''), levels.code('  '), levels.code('TRUE')]).toEqual([NaN, NaN, NaN]);
    expect(new CategoryLevels(['', 'x']).code('')).toBe(0);
    // The exact spelling first: a level with spaces, and '08' apart from '8'.
    const spelled = new CategoryLevels([' x ', 'x', '08', '8']);
    expect([spelled.code(' x '), spelled.code('x'), spelled.code('08'), spelled.code('8'), spelled.code('8.0')]).toEqual([0, 1, 2, 3, 3]);
    // An empty cell is missing, not the number 0.
    expect([new CategoryLevels([0, 1]).code(''), new CategoryLevels([0, 1]).code(' ')]).toEqual([NaN, NaN]);
  });

  it('makes a bitset as wide as the largest code, and none for no codes', () => {
    expect(Array.from(bitsetOf([]))).toEqual([]);
    expect(Array.from(bitsetOf([0]))).toEqual([1]);
    expect(Array.from(bitsetOf([31, 0, 32]))).toEqual([0x80000001, 1]);
    expect(Array.from(bitsetOf([64]))).toEqual([0, 0, 1]);
  });

  it('lays out a forest: roots and groups per tree, split bitsets, children', () => {
    const builder = new ForestBuilder();
    builder.beginTree(1);
    const split = builder.addSplit(2, 0, 3, [5, 6]);
    const leaf = builder.addLeaf(0.5);
    builder.beginTree(0);
    const pair = builder.reservePair();
    builder.fillSplit(pair, 4, 1.5, 1, [7]);
    builder.fillLeaf(pair + 1, -2);
    builder.setChildren(split, leaf, pair);
    const forest = builder.build(Float64Array);
    expect(builder.nodeCount).toBe(4);
    expect({
      roots: Array.from(forest.roots), groups: Array.from(forest.groups), feature: Array.from(forest.feature), value: Array.from(forest.value),
      left: Array.from(forest.left), right: Array.from(forest.right), flags: Array.from(forest.flags),
      catStart: Array.from(forest.catStart), catWords: Array.from(forest.catWords), bitsets: Array.from(forest.bitsets),
    }).toEqual({
      roots: [0, 2], groups: [1, 0], feature: [2, -1, 4, -1], value: [0, 0.5, 1.5, -2],
      left: [1, -1, -1, -1], right: [2, -1, -1, -1], flags: [3, 0, 1, 0],
      catStart: [0, 0, 2, 0], catWords: [2, 0, 1, 0], bitsets: [5, 6, 7],
    });
  });
});
