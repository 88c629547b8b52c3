import { describe, expect, it } from 'vitest';
import type { InferRequest } from '../src/tensor/index.ts';
import { startGraphServer, type GraphServer } from './helpers/graphs.ts';
import { getJson, postJson } from './helpers/server.ts';

const bandit = (policy: string) => `
nodes:
  - {name: low, type: model, model: half_plus_two}
  - {name: high, type: model, model: triple}
  - name: learner
    type: router
    policy: ${policy}
    epsilon: 0.1
    arms: [{name: a, node: low}, {name: b, node: high}]
`;

const REWARD_RATE: Record<string, number> = { 'learner=a': 0.3, 'learner=b': 0.6 };
const request = (): InferRequest => ({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: Float32Array.of(1) }] });

/** Plays `n` rounds: each answer's arm earns a reward of 1 with its rate (0.3 or 0.6), fed back by request id. */
async function play(ferry: GraphServer, graph: string, n: number): Promise<string[]> {
  const routes: string[] = [];
  for (let i = 0; i < n; i++) {
    const response = await ferry.server.dataplane.infer(graph, request(), { protocol: 'test' });
    const route = String(response.parameters?.['ferry_route']);
    routes.push(route);
    await ferry.server.dataplane.feedback(graph, { requestId: response.id!, reward: Math.random() < REWARD_RATE[route]! ? 1 : 0 });
  }
  return routes;
}

const share = (routes: readonly string[], arm: string) => routes.filter((r) => r === arm).length / routes.length;

describe.each([
  ['epsilon_greedy', {}],
  ['thompson_sampling', {}],
  ['thompson_sampling', { registry: { enabled: false } }],
] as const)('%s bandit (%j)', (policy, given) => {
  let config: Record<string, unknown> = given;
  it('learns the better arm (0.6 against 0.3) over 5,000 rounds, and remembers it across a restart', async () => {
    // The graph's detail (management API) is read from loopback without a token.
    config = { ...config, auth: { allow_loopback_without_token: true } } as typeof config;
    let ferry = await startGraphServer({ examples: ['half_plus_two'], scripted: { triple: { scale: 3 } }, deployments: { bandit: bandit(policy) }, config });
    let restarted: GraphServer | undefined;
    try {
      const routes = await play(ferry, 'bandit', 5000);
      expect(share(routes.slice(-1000), 'learner=b')).toBeGreaterThanOrEqual(0.8);
      await ferry.halt();
      restarted = await startGraphServer({ root: ferry.root, config });
      ferry = restarted;
      const detail = await getJson(`${ferry.url}/api/v1/graphs/bandit`);
      const arms = detail.body.routers[0].arms as { name: string; pulls: number; reward: number }[];
      expect(arms.reduce((n, a) => n + a.pulls, 0)).toBe(5000);
      expect(arms.find((a) => a.name === 'b')!.reward / arms.find((a) => a.name === 'b')!.pulls).toBeGreaterThan(0.5);
      // Straight after the restart, the bandit still prefers what it learnt (no feedback needed).
      const after: string[] = [];
      for (let i = 0; i < 200; i++) after.push(String((await ferry.server.dataplane.infer('bandit', request(), { protocol: 'test' })).parameters?.['ferry_route']));
      expect(share(after, 'learner=b')).toBeGreaterThanOrEqual(0.8);
    } finally {
      await ferry.stop();
    }
  }, 180_000);
});

describe('feedback endpoints', () => {
  it('take V2 {request_id, reward, truth} and Seldon\'s feedback with meta.routing, and refuse unknown requests', async () => {
    const ferry = await startGraphServer({
      examples: ['half_plus_two'], scripted: { triple: { scale: 3 } }, deployments: { bandit: bandit('epsilon_greedy') },
    });
    try {
      const answer = await postJson(`${ferry.url}/v2/models/bandit/infer`, { id: 'req-1', inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [1] }] });
      const arm = String(answer.body.parameters.ferry_route).split('=')[1];
      const v2 = await postJson(`${ferry.url}/v2/models/bandit/feedback`, { request_id: 'req-1', reward: 1, truth: [3] });
      expect(v2.status).toBe(200);
      expect(v2.body).toEqual({ model_name: 'bandit', request_id: 'req-1', routing: { learner: arm } });
      const seldon = await postJson(`${ferry.url}/seldon/bandit/api/v1.0/feedback`, {
        request: { data: { ndarray: [1] } }, response: { data: { ndarray: [3] }, meta: { routing: { learner: 1 } } }, reward: 0.5,
      });
      expect(seldon.status).toBe(200);
      const unknown = await postJson(`${ferry.url}/v2/models/bandit/feedback`, { request_id: 'never-seen', reward: 1 });
      expect(unknown.status).toBe(404);
      expect(unknown.body.error).toMatch(/graph 'bandit' has no route for request 'never-seen'/);
      const badArm = await postJson(`${ferry.url}/v2/models/bandit/feedback`, { route: 'learner=zzz', reward: 1 });
      expect(badArm.status).toBe(400);
      expect(badArm.body.error).toMatch(/router 'learner' of graph 'bandit' has no arm 'zzz'/);
      const noReward = await postJson(`${ferry.url}/v2/models/bandit/feedback`, { request_id: 'req-1' });
      expect(noReward.status).toBe(400);
      const metrics = await (await fetch(`${ferry.url}/metrics`)).text();
      expect(metrics).toMatch(new RegExp(`ferry_graph_arm_feedback_total\\{graph="bandit",router="learner",arm="${arm}"\\} [12]`));
      expect(metrics).toMatch(/ferry_graph_arm_reward_total\{graph="bandit",router="learner",arm="b"\} (0.5|1.5)/);
    } finally {
      await ferry.stop();
    }
  }, 60_000);
});
