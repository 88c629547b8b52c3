import { describe, expect, it } from 'vitest';
import { Histogram, Registry } from 'prom-client';
import { FerryMetrics } from './metrics.ts';
import { TallyHistogram } from './tally-histogram.ts';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const OBSERVED: [Record<'model' | 'status', string>, number][] = [
  [{ model: 'a', status: '200' }, 0.0005],
  [{ model: 'a', status: '200' }, 0.01], // on a bound: counts in that bucket (le is inclusive)
  [{ model: 'a', status: '200' }, 0.05],
  [{ model: 'a', status: '200' }, 7], // above every bound: +Inf only
  [{ model: 'b', status: '429' }, 0.002],
  [{ model: 'a', status: '429' }, 0.1],
  [{ model: 'b', status: '429' }, 0],
];

/** The same observations through prom-client's own Histogram and through TallyHistogram, as a registry exports them. */
async function bothExports(observed = OBSERVED): Promise<{ texts: [string, string]; json: [unknown, unknown] }> {
  const reference = new Registry();
  const prom = new Histogram({ name: 'h_seconds', help: 'help text', labelNames: ['model', 'status'], buckets: BUCKETS, registers: [reference] });
  const mine = new Registry();
  const tally = new TallyHistogram({ name: 'h_seconds', help: 'help text', labelNames: ['model', 'status'], buckets: BUCKETS, registers: [mine] });
  for (const [labels, value] of observed) {
    prom.labels(labels).observe(value);
    tally.labels(labels).observe(value);
  }
  return { texts: [await reference.metrics(), await mine.metrics()], json: [await reference.getMetricsAsJSON(), await mine.getMetricsAsJSON()] };
}

describe('TallyHistogram', () => {
  it('prints what prom-client\'s Histogram prints for the same observations', async () => {
    const { texts: [expected, actual], json } = await bothExports();
    expect(actual).toBe(expected);
    // prom-client adds `exemplar: null` to bucket values; exemplars are off, so that is the one difference.
    expect(json[1]).toEqual(JSON.parse(JSON.stringify(json[0]).replaceAll('"exemplar":null,', '')));
    expect(actual).toContain('h_seconds_bucket{le="0.01",model="a",status="200"} 2');
    expect(actual).toContain('h_seconds_bucket{le="+Inf",model="a",status="200"} 4');
  });

  it('keeps one series per label set however the labels are written, and resets to zero', async () => {
    const registry = new Registry();
    const tally = new TallyHistogram({ name: 'r', help: 'r', labelNames: ['x', 'y'], buckets: [1], registers: [registry] });
    tally.labels({ x: '1', y: '2' }).observe(0.5);
    tally.labels({ y: '2', x: '1' }).observe(2);
    expect(tally.labels({ x: '1', y: '2' }).count).toBe(2);
    expect(await registry.metrics()).toContain('r_bucket{le="1",x="1",y="2"} 1');
    registry.resetMetrics();
    expect(await registry.metrics()).toContain('r_count{x="1",y="2"} 0');
  });

  it('ignores values that are not finite numbers instead of throwing on the request path', async () => {
    const registry = new Registry();
    const tally = new TallyHistogram({ name: 'n', help: 'n', labelNames: ['x'], buckets: [1], registers: [registry] });
    const series = tally.labels({ x: 'a' });
    series.observe(Number.NaN);
    series.observe(Number.POSITIVE_INFINITY);
    series.observe(0.5);
    expect(series.count).toBe(1);
    expect(await registry.metrics()).toContain('n_sum{x="a"} 0.5');
  });
});

describe('FerryMetrics request counter', () => {
  it('counts each request once per series, between scrapes and after them', async () => {
    const metrics = new FerryMetrics({ defaultMetrics: false });
    const ok = { model: 'm', version: '1', protocol: 'v2-rest', status: 200, seconds: 0.002 };
    const count = async (status: number) => {
      const text = (await metrics.render()).body;
      return Number(new RegExp(`^ferry_inference_requests_total\\{model="m",version="1",protocol="v2-rest",status="${status}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    };
    for (let i = 0; i < 3; i++) metrics.onInfer(ok);
    metrics.onInfer({ ...ok, status: 429, seconds: 0 });
    expect(await count(200)).toBe(3);
    expect(await count(200)).toBe(3); // a second scrape adds nothing
    metrics.onInfer(ok);
    expect(await count(200)).toBe(4);
    expect(await count(429)).toBe(1);
    const text = (await metrics.render()).body;
    expect(text).toContain('ferry_inference_request_duration_seconds_count{model="m",version="1",protocol="v2-rest",status="200"} 4');
    expect(text).toContain('ferry_inference_request_duration_seconds_bucket{le="0.0025",model="m",version="1",protocol="v2-rest",status="200"} 4');
  });
});
