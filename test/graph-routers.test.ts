import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferRequest } from '../src/tensor/index.ts';
import { inferX, startGraphServer, type GraphServer } from './helpers/graphs.ts';
import { postJson } from './helpers/server.ts';

/** Arms: half_plus_two (y = x/2 + 2, ONNX) and a scripted model (y = 3x) that tells them apart. */
const arms = (router: string) => `
nodes:
  - {name: stable_model, type: model, model: half_plus_two}
  - {name: canary_model, type: model, model: triple}
${router}
`;

const DEPLOYMENTS = {
  split: arms(`  - name: traffic
    type: router
    policy: split
    arms: [{name: stable, node: stable_model, weight: 0.9}, {name: canary, node: canary_model, weight: 0.1}]`),
  sticky: arms(`  - name: traffic
    type: router
    policy: split
    sticky: {parameter: user, header: x-user}
    arms: [{name: stable, node: stable_model, weight: 0.5}, {name: canary, node: canary_model, weight: 0.5}]`),
  experiment: arms(`  - name: test
    type: router
    policy: ab
    experiment: pricing
    arms: [{name: a, node: stable_model, weight: 0.5}, {name: b, node: canary_model, weight: 0.5}]`),
  by_header: arms(`  - name: pick
    type: router
    policy: header
    match: {header: x-variant, parameter: variant, values: {new: b}, default: a}
    arms: [{name: a, node: stable_model}, {name: b, node: canary_model}]`),
};

const request = (x: number): InferRequest => ({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: Float32Array.of(x) }] });

describe('graph routers', () => {
  let ferry: GraphServer;
  beforeAll(async () => {
    ferry = await startGraphServer({ examples: ['half_plus_two'], scripted: { triple: { scale: 3 } }, deployments: DEPLOYMENTS });
  }, 60_000);
  afterAll(() => ferry.stop());

  const infer = (graph: string, x: number, headers?: Record<string, string>, parameters?: Record<string, string>) =>
    ferry.server.dataplane.infer(graph, parameters ? { ...request(x), parameters } : request(x), { protocol: 'test', headers });

  it('splits 90/10: over 10,000 requests the canary gets 10% within 2 points, and each answer is its arm\'s', async () => {
    let canary = 0;
    for (let i = 0; i < 10_000; i++) {
      const response = await infer('split', 2);
      const y = (response.outputs[0]!.data as Float32Array)[0];
      if (response.parameters?.['ferry_route'] === 'traffic=canary') {
        canary++;
        expect(y).toBe(6);
      } else {
        expect(response.parameters?.['ferry_route']).toBe('traffic=stable');
        expect(y).toBe(3);
      }
    }
    expect(Math.abs(canary / 10_000 - 0.1)).toBeLessThan(0.02);
  }, 120_000);

  it('carries the route in the V2 answer (parameters.ferry_route) and in Seldon\'s meta.routing', async () => {
    const v2 = await inferX(ferry.url, 'experiment', [2], { id: 'abc' });
    expect(v2.status).toBe(200);
    expect(v2.body.id).toBe('abc');
    expect(v2.body.parameters.ferry_route).toMatch(/^test=(a|b)$/);
    const seldon = await postJson(`${ferry.url}/seldon/experiment/api/v1.0/predictions`, { data: { ndarray: [2] }, meta: { puid: 'p-1' } });
    expect(seldon.status).toBe(200);
    expect(seldon.body.meta.puid).toBe('p-1');
    const arm = seldon.body.meta.routing.test as string;
    expect(['a', 'b']).toContain(arm);
    expect(seldon.body.data.ndarray[0]).toBe(arm === 'a' ? 3 : 6);
  });

  it('keeps each sticky key on one arm, by parameter or header, and spreads keys over both arms', async () => {
    const armOf = new Map<string, string>();
    for (let user = 0; user < 200; user++) {
      for (let k = 0; k < 5; k++) {
        const byHeader = k % 2 === 0;
        const response = await infer('sticky', 1, byHeader ? { 'x-user': `u${user}` } : undefined, byHeader ? undefined : { user: `u${user}` });
        const arm = String(response.parameters?.['ferry_route']);
        if (armOf.has(`u${user}`)) expect(arm, `user u${user}`).toBe(armOf.get(`u${user}`));
        armOf.set(`u${user}`, arm);
      }
    }
    const canaries = [...armOf.values()].filter((a) => a === 'traffic=canary').length;
    expect(canaries).toBeGreaterThan(60);
    expect(canaries).toBeLessThan(140);
  }, 60_000);

  it('routes on a header or a request parameter, with a default arm', async () => {
    expect((await infer('by_header', 2, { 'x-variant': 'new' })).parameters?.['ferry_route']).toBe('pick=b');
    expect((await infer('by_header', 2, undefined, { variant: 'new' })).parameters?.['ferry_route']).toBe('pick=b');
    expect((await infer('by_header', 2, { 'x-variant': 'old' })).parameters?.['ferry_route']).toBe('pick=a');
    expect((await infer('by_header', 2)).parameters?.['ferry_route']).toBe('pick=a');
    const overHttp = await inferX(ferry.url, 'by_header', [4], { headers: { 'x-variant': 'new' } });
    expect(overHttp.body.parameters.ferry_route).toBe('pick=b');
    expect(overHttp.body.outputs[0].data).toEqual([12]);
  });
});
