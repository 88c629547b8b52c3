import type { Tensor } from '../../tensor/index.ts';
import { asNumbers } from '../numeric.ts';

/**
 * Whether a shadow's answer agrees with the primary's: same output names and shapes, equal labels (BYTES and
 * integer outputs) and numbers within `tolerance`. `maxAbsDiff` is the largest difference over numeric outputs.
 */
export function compareAnswers(primary: readonly Tensor[], shadow: readonly Tensor[], tolerance: number): { agree: boolean; maxAbsDiff: number } {
  let agree = true;
  let maxAbsDiff = 0;
  for (const p of primary) {
    const s = shadow.find((t) => t.name === p.name);
    if (!s || s.shape.join(',') !== p.shape.join(',') || s.data.length !== p.data.length) {
      return { agree: false, maxAbsDiff: Infinity };
    }
    if (p.datatype === 'BYTES' || s.datatype === 'BYTES') {
      const a = p.data as Uint8Array[];
      const b = s.data as Uint8Array[];
      for (let i = 0; i < a.length; i++) if (Buffer.compare(a[i]!, b[i] ?? new Uint8Array()) !== 0) agree = false;
      continue;
    }
    const a = asNumbers(p, 'shadow comparison');
    const b = asNumbers(s, 'shadow comparison');
    for (let i = 0; i < a.length; i++) {
      const diff = Math.abs(a[i]! - b[i]!);
      if (diff > maxAbsDiff || Number.isNaN(diff)) maxAbsDiff = Number.isNaN(diff) ? Infinity : diff;
    }
  }
  if (maxAbsDiff > tolerance) agree = false;
  return { agree, maxAbsDiff };
}
