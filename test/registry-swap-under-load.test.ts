// A bounded run of the alias-swap experiment (bench/registry-swap.ts measures it): while clients keep sending, the
// alias moves v1 → v2 → v1 → v2 → v1; no request fails, every answer matches the version it names, and none comes
// from the old version once the new one has answered.
import { describe, expect, it } from 'vitest';
import { runAliasSwap } from '../bench/lib/alias-swap.ts';

describe('alias swaps under load', () => {
  it('lose no request and never answer from the replaced version', async () => {
    const result = await runAliasSwap({ moves: 4, clients: 4, steadyMs: 500, settleMs: 300, maxRequests: 30_000 });
    console.log(`swaps under load: ${result.requests} requests, alias move to first new answer ${result.firstAnswerMs.map((x) => x.toFixed(0)).join(', ')} ms`);
    expect(result.failures).toEqual([]);
    expect(result.violations).toEqual([]);
    expect(result.firstAnswerMs).toHaveLength(4);
    expect(result.steady.count).toBeGreaterThan(10);
    expect(result.swapping.count).toBeGreaterThan(10);
    for (const ms of result.firstAnswerMs) expect(ms).toBeLessThan(5000);
  }, 120_000);
});
