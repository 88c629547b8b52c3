import { describe, expect, it } from 'vitest';
import { initialLimit, nextLimit, type AimdParams } from './aimd.ts';

const params: AimdParams = { sloMs: 10, increase: 1, decrease: 0.9, minRows: 1, maxRows: 512 };

describe('AIMD row limit', () => {
  it('grows by the step after a full batch under the objective', () => {
    expect(nextLimit(20, { rows: 20, execMs: 5, bounded: true }, params)).toBe(21);
  });
  it('holds after a batch the limit did not bound', () => {
    expect(nextLimit(20, { rows: 7, execMs: 5, bounded: false }, params)).toBe(20);
  });
  it('grows after a batch a queued request did not fit into, though its rows fell short of the limit', () => {
    // Two 128-row requests under a 200-row limit: the batch holds one (128 rows) and the other waits.
    expect(nextLimit(200, { rows: 128, execMs: 2, bounded: true }, params)).toBe(201);
    expect(nextLimit(200, { rows: 128, execMs: 2, bounded: false }, params)).toBe(200);
    expect(nextLimit(200, { rows: 128, execMs: 11, bounded: true }, params)).toBe(180);
  });
  it('backs off by the factor, and by at least one row, after a miss', () => {
    expect(nextLimit(100, { rows: 100, execMs: 11, bounded: true }, params)).toBe(90);
    expect(nextLimit(9, { rows: 9, execMs: 11, bounded: true }, params)).toBe(8);
    expect(nextLimit(1, { rows: 1, execMs: 50, bounded: true }, params)).toBe(1);
  });
  it('stays within [minRows, maxRows] and starts small', () => {
    expect(nextLimit(512, { rows: 512, execMs: 1, bounded: true }, params)).toBe(512);
    expect(initialLimit(params)).toBe(8);
    expect(initialLimit({ ...params, maxRows: 4 })).toBe(4);
  });

  it('converges under the objective when latency grows with batch size', () => {
    // Latency 2 ms + 0.1 ms/row: the largest batch under 10 ms is 80 rows. The queue is always full.
    const latency = (rows: number) => 2 + 0.1 * rows;
    let limit = initialLimit(params);
    const settled: number[] = [];
    let missesAfterWarmup = 0;
    for (let batch = 0; batch < 600; batch++) {
      const execMs = latency(limit);
      if (batch >= 200) {
        settled.push(limit);
        if (execMs > params.sloMs) missesAfterWarmup++;
      }
      limit = nextLimit(limit, { rows: limit, execMs, bounded: true }, params);
    }
    expect(Math.min(...settled)).toBeGreaterThanOrEqual(72); // 0.9 × 81
    expect(Math.max(...settled)).toBeLessThanOrEqual(81);
    const mean = settled.reduce((a, b) => a + b, 0) / settled.length;
    expect(latency(mean)).toBeLessThan(params.sloMs);
    expect(missesAfterWarmup / settled.length).toBeLessThanOrEqual(0.1); // one probe past the objective per cycle
  });

  it('follows a model that slows down', () => {
    let limit = 80;
    for (let batch = 0; batch < 100; batch++) limit = nextLimit(limit, { rows: limit, execMs: 2 + 0.4 * limit, bounded: true }, params);
    expect(limit).toBeLessThanOrEqual(21);
    expect(limit).toBeGreaterThanOrEqual(18);
  });
});
