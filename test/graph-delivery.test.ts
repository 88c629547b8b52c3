import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inferX, startGraphServer, type GraphServer } from './helpers/graphs.ts';
import { getJson } from './helpers/server.ts';

const canary = (gates: string) => `
nodes:
  - {name: primary, type: model, model: half_plus_two}
  - {name: candidate, type: model, model: CANDIDATE}
  - name: traffic
    type: router
    policy: split
    arms: [{name: stable, node: primary, weight: 1}, {name: canary, node: candidate, weight: 0}]
    gates: ${gates}
`;

const DEPLOYMENTS = {
  // The candidate sleeps 1 s and fails half of its calls; it computes what the primary computes (x/2 + 2).
  with_shadow: `
nodes:
  - {name: primary, type: model, model: half_plus_two}
  - {name: candidate, type: model, model: sleepy}
  - name: mirror
    type: router
    policy: shadow
    arms: [{name: live, node: primary}, {name: candidate, node: candidate}]
`,
  without_shadow: 'nodes:\n  - {name: primary, type: model, model: half_plus_two}\n',
  bad_canary: canary('{canary: canary, steps: [0.3, 0.6, 1], window_seconds: 3, min_requests: 30, max_error_rate_increase: 0.05}').replace('CANDIDATE', 'flaky'),
  good_canary: canary('{canary: canary, steps: [0.2, 0.5, 1], window_seconds: 1, min_requests: 10, max_error_rate_increase: 0.05, max_p99_ratio: 100}').replace('CANDIDATE', 'healthy'),
};

/** Sends requests `concurrency` at a time until `done()` or `maxMs`; returns each answer with its latency. */
async function drive(url: string, graph: string, opts: { concurrency: number; maxMs: number; count?: number; done?: () => Promise<boolean> }) {
  const answers: { status: number; ms: number; route?: string; error?: string; y?: number }[] = [];
  const end = Date.now() + opts.maxMs;
  let stop = false;
  let sent = 0;
  const worker = async () => {
    while (!stop && Date.now() < end && (opts.count === undefined || sent < opts.count)) {
      sent++;
      const started = performance.now();
      const { status, body } = await inferX(url, graph, [2]);
      answers.push({ status, ms: performance.now() - started, route: body.parameters?.ferry_route, error: body.error, y: body.outputs?.[0]?.data?.[0] });
    }
  };
  const watcher = async () => {
    while (!stop && Date.now() < end && opts.done) {
      if (await opts.done()) stop = true;
      else await new Promise((r) => setTimeout(r, 100));
    }
  };
  await Promise.all([...Array.from({ length: opts.concurrency }, worker), watcher().then(() => {
    if (opts.done) stop = true;
  })]);
  stop = true;
  return answers;
}

function p99(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(sorted.length * 0.99) - 1]!;
}

describe('progressive delivery', () => {
  let ferry: GraphServer;
  beforeAll(async () => {
    ferry = await startGraphServer({
      examples: ['half_plus_two'],
      scripted: {
        sleepy: { scale: 0.5, offset: 2, sleep_ms: 1000, fail_rate: 0.5 },
        flaky: { scale: 0.5, offset: 2, fail_rate: 0.2 },
        healthy: { scale: 0.5, offset: 2 },
      },
      deployments: DEPLOYMENTS,
      config: { auth: { allow_loopback_without_token: true } },
    });
  }, 60_000);
  afterAll(() => ferry.stop(), 60_000);

  const metrics = async () => (await fetch(`${ferry.url}/metrics`)).text();
  const counter = (text: string, pattern: string) => Number(new RegExp(`${pattern} (\\d+(\\.\\d+)?)`).exec(text)?.[1] ?? 0);

  it('a shadow that sleeps 1 s and fails half the time touches no caller: no errors, p99 as without it, agreement counted', async () => {
    await drive(ferry.url, 'without_shadow', { concurrency: 4, maxMs: 10_000, count: 50 }); // warm-up
    const rounds = { with: [] as number[], without: [] as number[] };
    for (let round = 0; round < 3; round++) {
      for (const graph of ['without_shadow', 'with_shadow'] as const) {
        const answers = await drive(ferry.url, graph, { concurrency: 4, maxMs: 30_000, count: 150 });
        for (const a of answers) {
          expect(a.status, a.error).toBe(200);
          expect(a.y).toBe(3);
        }
        rounds[graph === 'with_shadow' ? 'with' : 'without'].push(...answers.map((a) => a.ms));
      }
    }
    const withShadow = p99(rounds.with);
    const without = p99(rounds.without);
    console.log(`caller p99: ${withShadow.toFixed(1)} ms with the shadow, ${without.toFixed(1)} ms without (${rounds.with.length} requests each)`);
    // A shadow the caller waited for would add its 1,000 ms to every answer; half of that separates the two on any
    // machine, where a bound relative to a tail of tens of ms fails on a loaded one's bursts.
    expect(withShadow).toBeLessThan(without + 500);
    // Shadow calls finish one a second: wait until both an agreement and a failure are counted.
    const label = 'graph="with_shadow",router="mirror",arm="candidate"';
    let text = '';
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      text = await metrics();
      if (counter(text, `ferry_graph_shadow_comparisons_total\\{${label},outcome="agree"\\}`) > 0 && counter(text, `ferry_graph_shadow_comparisons_total\\{${label},outcome="error"\\}`) > 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(counter(text, `ferry_graph_shadow_comparisons_total\\{${label},outcome="agree"\\}`)).toBeGreaterThan(0);
    expect(counter(text, `ferry_graph_shadow_comparisons_total\\{${label},outcome="error"\\}`)).toBeGreaterThan(0);
    expect(counter(text, `ferry_graph_shadow_comparisons_total\\{${label},outcome="disagree"\\}`)).toBe(0);
    expect(text).toMatch(new RegExp(`ferry_graph_shadow_max_abs_diff\\{${label}\\} 0`));
  }, 180_000);

  it('rolls back a canary that fails 20% of its requests within its gate window; the primary fails none', async () => {
    const rolledBack = async () => (await getJson(`${ferry.url}/api/v1/graphs/bad_canary`)).body.routers[0].gates.status === 'rolled_back';
    const answers = await drive(ferry.url, 'bad_canary', { concurrency: 4, maxMs: 60_000, done: rolledBack });
    expect(await rolledBack()).toBe(true);
    const failed = answers.filter((a) => a.status !== 200);
    expect(failed.length).toBeGreaterThan(0);
    for (const f of failed) expect(f.error).toMatch(/model 'flaky' failed to execute/);
    expect(answers.filter((a) => a.status === 200 && a.route === 'traffic=stable').length).toBeGreaterThan(0);
    const detail = await getJson(`${ferry.url}/api/v1/graphs/bad_canary`);
    expect(detail.body.routers[0].weights).toEqual({ stable: 1, canary: 0 });
    const after = await drive(ferry.url, 'bad_canary', { concurrency: 4, maxMs: 30_000, count: 100 });
    expect(after.every((a) => a.status === 200 && a.route === 'traffic=stable')).toBe(true);
    const audit = await getJson(`${ferry.url}/api/v1/audit?model=bad_canary`);
    expect(audit.body.entries[0]).toMatchObject({ action: 'graph.auto_rollback', actor: 'ferry-gates', alias: 'traffic', after: { stable: 1, canary: 0 } });
    expect(await metrics()).toMatch(/ferry_graph_rollbacks_total\{graph="bad_canary",router="traffic",arm="canary",gate="error_rate"\} 1/);
  }, 120_000);

  it('steps a healthy canary through 0.2, 0.5 and 1 while its gates hold, auditing each step', async () => {
    const promoted = async () => (await getJson(`${ferry.url}/api/v1/graphs/good_canary`)).body.routers[0].gates.status === 'promoted';
    const answers = await drive(ferry.url, 'good_canary', { concurrency: 4, maxMs: 60_000, done: promoted });
    expect(await promoted()).toBe(true);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const detail = await getJson(`${ferry.url}/api/v1/graphs/good_canary`);
    expect(detail.body.routers[0].weights).toEqual({ stable: 0, canary: 1 });
    const steps = (await getJson(`${ferry.url}/api/v1/audit?model=good_canary`)).body.entries.filter((e: any) => e.action === 'graph.gate_step');
    expect(steps.map((e: any) => e.after.canary).reverse()).toEqual([0.5, 1]);
  }, 120_000);
});
