import { describe, expect, it } from 'vitest';
import { DEFAULT_VERSION_POLICY, parseModelConfig, selectVersions } from './model-config.ts';
import { assertModelName, isVersionFolder } from './model-name.ts';

const accepts = (yaml: string) => parseModelConfig('m', yaml);
const refusal = (yaml: string): string => {
  try {
    parseModelConfig('m', yaml);
  } catch (error) {
    return (error as Error).message;
  }
  return 'accepted';
};

describe('model.yaml values', () => {
  it('takes each batching mode, in full and as a shorthand', () => {
    for (const mode of ['off', 'dynamic', 'adaptive']) {
      expect(accepts(`batching: ${mode}`).batching).toEqual({ mode });
      expect(accepts(`batching: {mode: ${mode}}`).batching).toEqual({ mode });
    }
    expect(refusal('batching: sometimes')).toMatch(/^failed to load model 'm': model\.yaml batching: /);
  });

  it('takes batching sizes from 1 and refuses 0', () => {
    expect(accepts('batching: {mode: dynamic, max_batch_size: 8, preferred_batch_sizes: [4, 8]}').batching).toEqual({
      mode: 'dynamic', max_batch_size: 8, preferred_batch_sizes: [4, 8],
    });
    expect(accepts('batching: {mode: dynamic, max_batch_size: 1, preferred_batch_sizes: [1]}').batching).toMatchObject({ max_batch_size: 1 });
    expect(refusal('batching: {mode: dynamic, max_batch_size: 0}')).toMatch(/model\.yaml batching\.max_batch_size: /);
    expect(refusal('batching: {mode: dynamic, preferred_batch_sizes: [4, 0]}')).toMatch(/model\.yaml batching\.preferred_batch_sizes\.1: /);
  });

  it('takes a version policy of all in either spelling', () => {
    expect(accepts('version_policy: all').version_policy).toEqual({ kind: 'all' });
    expect(accepts('version_policy: {all: true}').version_policy).toEqual({ kind: 'all' });
    expect(refusal('version_policy: {all: false}')).toMatch(/model\.yaml version_policy/);
  });

  it('serves only the newest version when model.yaml names no policy', () => {
    expect(accepts('').version_policy).toBeUndefined();
    expect(selectVersions(DEFAULT_VERSION_POLICY, [2, 10, 9])).toEqual([10]);
  });

  it('takes counts from 1, instances up to 64, and refuses values outside', () => {
    const config = accepts('max_queue: 100\ninstances: 2\ncache: {max_bytes: 1000, ttl_s: 5}\n');
    expect(config).toMatchObject({ max_queue: 100, instances: 2, cache: { max_bytes: 1000, ttl_s: 5 } });
    expect(accepts('instances: 64').instances).toBe(64);
    expect(accepts('max_queue: 1\ninstances: 1\ncache: {max_bytes: 1}').max_queue).toBe(1);
    expect(refusal('instances: 65')).toMatch(/model\.yaml instances: /);
    expect(refusal('instances: 0')).toMatch(/model\.yaml instances: /);
    expect(refusal('max_queue: 0')).toMatch(/model\.yaml max_queue: /);
    expect(accepts('max_request_rows: 64').max_request_rows).toBe(64);
    expect(refusal('max_request_rows: 0')).toMatch(/model\.yaml max_request_rows: /);
    expect(refusal('cache: {max_bytes: 0}')).toMatch(/model\.yaml cache\.max_bytes: /);
    expect(refusal('cache: {ttl: 5}')).toMatch(/model\.yaml cache: /);
  });

  it('takes names that are not empty: runtime, python, overrides and default label', () => {
    const config = accepts('runtime: onnx\npython: bin/python3\ninputs: [{name: features, source: INPUT0}]\nlabels: {stable: 1}\ndefault_label: stable\n');
    expect(config).toMatchObject({ runtime: 'onnx', python: 'bin/python3', inputs: [{ name: 'features', source: 'INPUT0' }], default_label: 'stable' });
    for (const key of ['runtime', 'python', 'default_label']) expect(refusal(`${key}: ''`)).toMatch(new RegExp(`model\\.yaml ${key}: `));
    expect(refusal("inputs: [{name: ''}]")).toMatch(/model\.yaml inputs\.0\.name: /);
  });

  it('takes either environment manager and nothing else', () => {
    expect(accepts('env_manager: local').env_manager).toBe('local');
    expect(accepts('env_manager: virtualenv').env_manager).toBe('virtualenv');
    expect(refusal('env_manager: conda')).toMatch(/model\.yaml env_manager: /);
  });

  it('takes a registry source only as a models:/ URI', () => {
    expect(accepts('source: models:/churn@champion').source).toBe('models:/churn@champion');
    expect(refusal('source: s3://bucket/models:/churn')).toBe("failed to load model 'm': model.yaml source: must be a models:/ URI");
    expect(refusal('source: "models:/"')).toBe("failed to load model 'm': model.yaml source: must be a models:/ URI");
  });

  it('takes labels that start with a letter and hold only letters, digits, _ or -', () => {
    expect(accepts('labels: {stable: 1, canary-2: 2, A_b: 3}').labels).toEqual({ stable: 1, 'canary-2': 2, A_b: 3 });
    for (const bad of ['1stable', 'stable!', 'x'.repeat(65)]) expect(refusal(`labels: {"${bad}": 1}`)).toMatch(`model.yaml labels.${bad}: `);
  });

  it('refuses a default label that is not a label, listing the labels there are', () => {
    expect(refusal('labels: {stable: 1, canary: 2}\ndefault_label: beta')).toBe(
      "failed to load model 'm': model.yaml default_label: 'beta' is not a label (labels: stable | canary)",
    );
    expect(refusal('default_label: beta')).toBe("failed to load model 'm': model.yaml default_label: 'beta' is not a label (labels: none)");
  });

  it('names the document itself when it is not a mapping', () => {
    expect(refusal('- a\n- b\n')).toMatch(/^failed to load model 'm': model\.yaml \(root\): /);
  });
});

describe('names in the repository', () => {
  it('takes version folders named by a positive integer of up to 16 digits without leading zeros', () => {
    for (const good of ['1', '10', '9'.repeat(16)]) expect(isVersionFolder(good), good).toBe(true);
    for (const bad of ['0', '01', '1a', 'a1', '', '9'.repeat(17), '-1']) expect(isVersionFolder(bad), bad).toBe(false);
  });

  it('passes a valid model name through and refuses another with the rule, naming at most 64 characters of it', () => {
    expect(assertModelName('resnet-50')).toBe('resnet-50');
    expect(() => assertModelName('../etc')).toThrow("invalid model name '../etc': use 1-128 letters, digits, _ - . starting with a letter or digit");
    const long = `${'a'.repeat(200)}!`;
    expect(() => assertModelName(long)).toThrow(`invalid model name '${'a'.repeat(64)}': `);
  });
});
