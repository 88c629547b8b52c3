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

  it('names the allowed values of every enum-valued key, and what was given', () => {
    const datatypes = 'BOOL | UINT8 | UINT16 | UINT32 | UINT64 | INT8 | INT16 | INT32 | INT64 | FP16 | FP32 | FP64 | BF16 | BYTES';
    const cases: [string, string][] = [
      ['batching: adaptiv', 'model.yaml batching: expected off | dynamic | adaptive | {mode, ...} (got "adaptiv")'],
      ['batching: {mode: adaptiv}', 'model.yaml batching.mode: expected off | dynamic | adaptive (got "adaptiv")'],
      ['batching: {max_batch_size: 8}', 'model.yaml batching.mode: expected off | dynamic | adaptive (got nothing)'],
      ['batching: 3', 'model.yaml batching: expected off | dynamic | adaptive | {mode, ...} (got 3)'],
      ['env_manager: conda', 'model.yaml env_manager: expected local | virtualenv (got "conda")'],
      ['inputs: [{name: x, datatype: FLOAT}]', `model.yaml inputs.0.datatype: expected ${datatypes} (got "FLOAT")`],
      ['outputs: [{name: y}, {name: z, datatype: fp32}]', `model.yaml outputs.1.datatype: expected ${datatypes} (got "fp32")`],
      ['version_policy: latest', 'model.yaml version_policy: expected all | {latest} | {all} | {specific} (got "latest")'],
      ['version_policy: {latest: 0}', 'model.yaml version_policy.latest: Too small: expected number to be >=1'],
    ];
    for (const [doc, detail] of cases) expect(() => parseModelConfig('m', doc), doc).toThrow(`failed to load model 'm': ${detail}`);
    // Each accepted value parses.
    for (const mode of ['off', 'dynamic', 'adaptive']) expect(parseModelConfig('m', `batching: ${mode}`).batching).toEqual({ mode });
    for (const manager of ['local', 'virtualenv']) expect(parseModelConfig('m', `env_manager: ${manager}`).env_manager).toBe(manager);
  });

  it('refuses unknown keys naming the closest known key and every known key at that level', () => {
    const top = 'source | runtime | version_policy | labels | default_label | inputs | outputs | options | batching | max_queue | max_request_rows | instances | slo_ms | cache | default_output | python | allow_pickle | env_manager';
    expect(() => parseModelConfig('m', 'versoin_policy: all')).toThrow(`model.yaml (root): unknown key versoin_policy (did you mean version_policy?); known keys: ${top}`);
    expect(() => parseModelConfig('m', 'optoins: {}')).toThrow('unknown key optoins (did you mean options?)');
    expect(() => parseModelConfig('m', 'gpu: true')).toThrow(`model.yaml (root): unknown key gpu; known keys: ${top}`);
    expect(() => parseModelConfig('m', 'batching: {mode: dynamic, max_batch: 8}'))
      .toThrow('model.yaml batching: unknown key max_batch (did you mean max_batch_size?); known keys: mode | max_batch_size | max_queue_delay_us | preferred_batch_sizes | slo_ms');
    expect(() => parseModelConfig('m', 'cache: {ttl: 3}')).toThrow('model.yaml cache: unknown key ttl (did you mean ttl_s?); known keys: max_bytes | ttl_s');
    expect(() => parseModelConfig('m', 'inputs: [{name: x, datatyp: FP32}]')).toThrow('model.yaml inputs.0: unknown key datatyp (did you mean datatype?); known keys: name | source | datatype | shape');
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
