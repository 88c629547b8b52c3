import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, postJson, startFerry, type RunningFerry } from './helpers/server.ts';

/** Prometheus naming: every counter ends in `_total`; statistics report only what is measured. */
describe('metrics and statistics say only what is measured, under conventional names', () => {
  let ferry: RunningFerry;
  beforeAll(async () => {
    ferry = await startFerry();
  });
  afterAll(async () => {
    await ferry?.stop();
  });

  it('names every counter *_total, the feedback reward sum included', async () => {
    const feedback = await postJson(`${ferry.url}/seldon/half_plus_two/api/v1.0/feedback`, { reward: 2.5 });
    expect(feedback.status).toBe(200);
    await postJson(`${ferry.url}/seldon/half_plus_two/api/v1.0/feedback`, { reward: 1 });
    const text = await (await fetch(`${ferry.url}/metrics`)).text();
    const counters = [...text.matchAll(/^# TYPE (\S+) counter$/gm)].map((m) => m[1]!);
    expect(counters.length).toBeGreaterThan(5);
    expect(counters.filter((name) => !name.endsWith('_total'))).toEqual([]);
    expect(text).toContain('ferry_feedback_reward_total{model="half_plus_two"} 3.5');
    expect(text).toContain('ferry_feedback_total{model="half_plus_two"} 2');
    // The per-version state gauge covers every loaded version.
    expect(text).toContain('ferry_model_version_state{model="iris_xgboost",version="1",state="AVAILABLE"} 1');
    expect(text).toContain('# TYPE ferry_model_load_failures_total counter');
  });

  it('leaves compute_input and compute_output out of statistics rather than reporting zero', async () => {
    const infer = await postJson(`${ferry.url}/v2/models/half_plus_two/infer`, { inputs: [{ name: 'x', datatype: 'FP32', shape: [2], data: [1, 2] }] });
    expect(infer.status).toBe(200);
    const stats = (await getJson(`${ferry.url}/v2/models/half_plus_two/versions/1/stats`)).body.model_stats[0];
    expect(Object.keys(stats.inference_stats).sort()).toEqual(['compute_infer', 'fail', 'queue', 'success']);
    expect(stats.inference_stats.compute_infer.count).toBeGreaterThan(0);
    expect(stats.inference_stats.compute_infer.ns).toBeGreaterThan(0);
  });
});
