/**
 * `npm run bench`: every benchmark, one after the other, each printing its ratio against a baseline measured in
 * the same run. BENCH_ONLY=name1,name2 runs a subset; BENCH_SECONDS sets the measuring time per load run.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

const BENCHES = ['v2-rest-vs-fastify', 'grpc', 'batching', 'overload', 'xgboost-vs-native', 'predict', 'workers', 'observability', 'registry-swap', 'models-as-code', 'graphs', 'stall', 'cache-key', 'scheduler'];
const only = process.env['BENCH_ONLY']?.split(',');

for (const name of BENCHES) {
  if (only && !only.includes(name)) continue;
  const file = path.join(import.meta.dirname, `${name}.ts`);
  if (!existsSync(file)) continue;
  console.log(`\n=== ${name} ===`);
  const started = Date.now();
  const bench = (await import(file)) as { main: () => Promise<unknown> };
  await bench.main();
  console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
