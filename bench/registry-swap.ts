/**
 * Zero-loss alias swaps under load: closed-loop clients on loopback while `champion` moves v1 → v2 → v1 ten times.
 * Prints failures (must be 0), answers from a version older than the one serving at admission (must be 0), p99
 * while swapping against p99 of the steady load before the first move (same run, same cores), and the time from
 * each alias move to the first answer from the new version.
 *
 * BENCH_SWAP_CLIENTS (default 8), BENCH_SWAP_MOVES (10), REGISTRY_STORE (default: SQLite in a temporary folder;
 * postgres://... to follow a PostgreSQL registry with LISTEN/NOTIFY).
 */
import { runAliasSwap } from './lib/alias-swap.ts';

export async function main(): Promise<void> {
  const moves = Number(process.env['BENCH_SWAP_MOVES'] ?? 10);
  const clients = Number(process.env['BENCH_SWAP_CLIENTS'] ?? 8);
  const store = process.env['REGISTRY_STORE'];
  const result = await runAliasSwap({ moves, clients, steadyMs: 5000, settleMs: 1500, maxRequests: 500_000, ...(store ? { registryStore: store } : {}) });
  const ms = (x: number) => `${x.toFixed(2)} ms`;
  console.log(`alias moves: ${moves} (v1 -> v2 -> v1 ...), ${clients} closed-loop clients, registry store: ${store ? 'PostgreSQL' : 'SQLite'}`);
  console.log(`requests: ${result.requests}, failed: ${result.failures.length}${result.failures.length ? ` (first: ${result.failures[0]})` : ''}`);
  console.log(`answers from a version older than the one serving at admission: ${result.violations.length}${result.violations.length ? ` (${result.violations[0]})` : ''}`);
  console.log(`steady      p50 ${ms(result.steady.p50)}  p99 ${ms(result.steady.p99)}  (${result.steady.count} requests before the first move)`);
  console.log(`swapping    p50 ${ms(result.swapping.p50)}  p99 ${ms(result.swapping.p99)}  (${result.swapping.count} requests from each move to 500 ms after the new version answered)`);
  console.log(`p99 swapping / steady: ${(result.swapping.p99 / result.steady.p99).toFixed(2)}x`);
  const first = [...result.firstAnswerMs].sort((a, b) => a - b);
  console.log(`alias move -> first answer from the new version: median ${ms(first[Math.floor(first.length / 2)]!)}, max ${ms(first.at(-1)!)} (${result.firstAnswerMs.map((x) => x.toFixed(0)).join(', ')} ms)`);
}

if (import.meta.main) await main();
