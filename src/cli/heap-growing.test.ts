import { describe, expect, it } from 'vitest';
import { pinHeapGrowing } from './heap-growing.ts';

describe('pinHeapGrowing', () => {
  it('sets the flag unless the setting is 0 or node was given its own', () => {
    expect(pinHeapGrowing(300, [])).toBe(true);
    expect(pinHeapGrowing(0, [])).toBe(false);
    expect(pinHeapGrowing(300, ['--heap-growing-percent=50'])).toBe(false);
    expect(pinHeapGrowing(300, ['--heap_growing_percent=50'])).toBe(false);
  });
});
