import { describe, expect, it } from 'vitest';
import { FerryError } from '../errors/index.ts';
import { canTransition, type VersionState } from './lifecycle.ts';
import { ServedVersion } from './served-version.ts';

const STATES: readonly VersionState[] = ['START', 'LOADING', 'AVAILABLE', 'UNLOADING', 'END', 'ERROR'];
const ALLOWED = new Set(['START→LOADING', 'LOADING→AVAILABLE', 'LOADING→ERROR', 'AVAILABLE→UNLOADING', 'UNLOADING→END']);

describe('version lifecycle', () => {
  it('allows exactly the TF Serving transitions, and none out of END or ERROR', () => {
    for (const from of STATES) {
      for (const to of STATES) expect(canTransition(from, to), `${from}→${to}`).toBe(ALLOWED.has(`${from}→${to}`));
    }
  });

  it('walks a version from START to END, and refuses a skipped step with an internal error naming it', () => {
    const version = new ServedVersion('churn', 3, 'stamp', {} as never);
    expect(version.state).toBe('START');
    expect(version.available).toBe(false);
    version.transition('LOADING');
    expect(version.available).toBe(false);
    version.transition('AVAILABLE');
    expect(version.available).toBe(true);
    expect(() => version.transition('END')).toThrow(FerryError);
    expect(() => version.transition('END')).toThrow('internal error: model churn v3: AVAILABLE → END');
    expect(version.state).toBe('AVAILABLE');
    version.transition('UNLOADING');
    version.transition('END');
    expect(version.state).toBe('END');
  });

  it('may enter ERROR from any state, keeping the reason, and clears the reason on the next transition', () => {
    for (const from of STATES) {
      const version = new ServedVersion('m', 1, 's', {} as never);
      version.state = from;
      version.transition('ERROR', 'disk gone');
      expect(version.state).toBe('ERROR');
      expect(version.reason).toBe('disk gone');
    }
    const version = new ServedVersion('m', 1, 's', {} as never);
    version.transition('LOADING', 'first');
    expect(version.reason).toBe('first');
    version.transition('AVAILABLE');
    expect(version.reason).toBeUndefined();
  });

  it('is due for a retry only in ERROR, with a retry time set, once that time has come', () => {
    const version = new ServedVersion('m', 1, 's', {} as never);
    expect(version.retryDue(1_000)).toBe(false); // START
    version.transition('ERROR', 'unreachable');
    expect(version.retryDue(1_000)).toBe(false); // no retry time
    version.retryAt = 1_000;
    expect(version.retryDue(999)).toBe(false);
    expect(version.retryDue(1_000)).toBe(true);
    expect(version.retryDue(1_001)).toBe(true);
    version.state = 'AVAILABLE';
    expect(version.retryDue(2_000)).toBe(false);
  });

  it('starts with empty statistics and no instance', () => {
    const version = new ServedVersion('m', 7, 'abc', { labels: {} } as never);
    expect(version).toMatchObject({ model: 'm', version: 7, stamp: 'abc', attempts: 0, instances: [], config: { labels: {} } });
    expect(version.instance).toBeUndefined();
    expect(version.executor).toBeUndefined();
    expect(version.stats.inferenceCount).toBe(0);
  });
});
