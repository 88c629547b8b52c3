import { describe, expect, it } from 'vitest';
import { closestName, didYouMean } from './did-you-mean.ts';

describe('did you mean', () => {
  const keys = ['version_policy', 'options', 'max_batch_size', 'ttl_s', 'file', 'inputs', 'batching'];

  it('finds a key one typo, a swap or a dropped part away', () => {
    expect(closestName('versoin_policy', keys)).toBe('version_policy');
    expect(closestName('optoins', keys)).toBe('options');
    expect(closestName('fiel', keys)).toBe('file');
    expect(closestName('input', keys)).toBe('inputs');
    expect(closestName('Batching', keys)).toBe('batching');
    expect(closestName('max_batch', keys)).toBe('max_batch_size');
    expect(closestName('ttl', keys)).toBe('ttl_s');
  });

  it('guesses nothing for a name far from every key', () => {
    expect(closestName('gpu', keys)).toBeUndefined();
    expect(closestName('replicas', keys)).toBeUndefined();
    expect(closestName('x', keys)).toBeUndefined();
    expect(closestName('anything', [])).toBeUndefined();
    expect(didYouMean('gpu', keys)).toBe('');
    expect(didYouMean('fiel', keys)).toBe(' (did you mean file?)');
  });
});
