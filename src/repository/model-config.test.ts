import { describe, expect, it } from 'vitest';
import { isValidModelName } from './model-name.ts';
import { parseModelConfig, selectVersions } from './model-config.ts';

describe('model.yaml', () => {
  it('parses version policies, labels and overrides', () => {
    expect(parseModelConfig('m', 'version_policy: {latest: 2}').version_policy).toEqual({ kind: 'latest', count: 2 });
    expect(parseModelConfig('m', 'version_policy: all').version_policy).toEqual({ kind: 'all' });
    expect(parseModelConfig('m', 'version_policy: {specific: [1, 3]}').version_policy).toEqual({ kind: 'specific', versions: [1, 3] });
    const config = parseModelConfig('m', 'labels: {stable: 1, canary: 2}\ninputs:\n  - {name: a, source: INPUT0, shape: [-1, 16]}\n');
    expect(config.labels).toEqual({ stable: 1, canary: 2 });
    expect(config.inputs).toEqual([{ name: 'a', source: 'INPUT0', shape: [-1, 16] }]);
  });

  it('rejects unknown keys and bad values, naming the model and the key', () => {
    expect(() => parseModelConfig('m', 'versionpolicy: all')).toThrow(/failed to load model 'm': model.yaml/);
    expect(() => parseModelConfig('m', 'version_policy: {latest: 0}')).toThrow(/version_policy/);
    expect(() => parseModelConfig('m', 'inputs: [{name: a, datatype: FLOAT}]')).toThrow(/inputs.0.datatype/);
    expect(() => parseModelConfig('m', 'labels: {stable: [1]')).toThrow(/not valid YAML/);
    expect(() => parseModelConfig('m', 'batching: {mode: dynamic, max_queue_delay_us: 1e13}')).toThrow(/batching.max_queue_delay_us/);
    expect(parseModelConfig('m', 'batching: {mode: dynamic, max_queue_delay_us: 60000000}').batching).toMatchObject({ max_queue_delay_us: 60_000_000 });
  });

  it('reports a model.yaml syntax error by line and column without quoting the file (model status is unauthenticated)', () => {
    const secret = 'https://user:hunter2-secret@registry.example';
    expect(() => parseModelConfig('m', `options:\n  url: ${secret}: x\n`)).toThrow(/^failed to load model 'm': model\.yaml is not valid YAML: Nested mappings are not allowed in compact mappings at line 2, column 8$/);
  });

  it('selects versions by policy', () => {
    expect(selectVersions({ kind: 'latest', count: 1 }, [1, 3, 2])).toEqual([3]);
    expect(selectVersions({ kind: 'latest', count: 2 }, [1, 3, 2])).toEqual([3, 2]);
    expect(selectVersions({ kind: 'all' }, [2, 1])).toEqual([2, 1]);
    expect(selectVersions({ kind: 'specific', versions: [1, 4] }, [1, 2, 3])).toEqual([1]);
  });

  it('orders versions as numbers: of 9, 10 and 100 the latest is 100', () => {
    expect(selectVersions({ kind: 'latest', count: 1 }, [9, 10, 100])).toEqual([100]);
    expect(selectVersions({ kind: 'latest', count: 2 }, [100, 9, 10])).toEqual([100, 10]);
    expect(selectVersions({ kind: 'all' }, [10, 9, 100])).toEqual([100, 10, 9]);
    expect(selectVersions({ kind: 'specific', versions: [9, 100] }, [9, 10, 100])).toEqual([100, 9]);
    // A count past what is present selects everything; nothing present selects nothing.
    expect(selectVersions({ kind: 'latest', count: 5 }, [9, 10])).toEqual([10, 9]);
    expect(selectVersions({ kind: 'latest', count: 1 }, [])).toEqual([]);
  });

  it('accepts only safe model names', () => {
    for (const good of ['simple', 'resnet-50', 'a.b_c', 'M1']) expect(isValidModelName(good)).toBe(true);
    for (const bad of ['', '..', '../etc', 'a/b', '.hidden', 'a..b', 'x'.repeat(200), 'a b']) expect(isValidModelName(bad)).toBe(false);
  });
});
