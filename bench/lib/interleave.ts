import { combineLoads, runLoad, type LoadGenerator, type LoadResult } from './load.ts';

export interface Target {
  readonly label: string;
  readonly url: string;
}

/**
 * Each target measured in `rounds` alternating slices of `seconds` each (after a warm-up slice), so that noise from
 * a shared machine falls on every target alike; one combined result per target, in the order given.
 */
export async function measureInterleaved(targets: readonly Target[], options: { body: string; connections: number; seconds: number; rounds: number; generator: LoadGenerator }): Promise<LoadResult[]> {
  const { body, connections, seconds, rounds, generator } = options;
  for (const target of targets) await runLoad({ url: target.url, body, connections, seconds: Math.max(1, Math.round(seconds / 2)), generator });
  const runs: LoadResult[][] = targets.map(() => []);
  for (let round = 0; round < rounds; round++) {
    // Alternate the order too, so that no target always runs right after the same neighbour.
    const order = round % 2 === 0 ? targets.map((_, i) => i) : targets.map((_, i) => targets.length - 1 - i);
    for (const i of order) runs[i]!.push(await runLoad({ url: targets[i]!.url, body, connections, seconds, generator }));
  }
  return runs.map((r) => combineLoads(r));
}
