import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGraphServer, type GraphServer } from './helpers/graphs.ts';
import { postJson } from './helpers/server.ts';

// SeldonDeployments written as Seldon Core v1's documentation writes them (componentSpecs are ignored: the
// models are the Ferry models of the nodes' names).
const AB_TEST = `
apiVersion: machinelearning.seldon.io/v1
kind: SeldonDeployment
metadata:
  name: abtest
spec:
  name: abtest
  predictors:
  - componentSpecs:
    - spec:
        containers:
        - image: seldonio/mock_classifier:1.0
          name: half_plus_two
        - image: seldonio/mock_classifier:1.0
          name: triple
    graph:
      name: random-ab-test
      endpoint: {}
      implementation: RANDOM_ABTEST
      parameters:
      - name: ratioA
        value: "0.5"
        type: FLOAT
      children:
      - name: half_plus_two
        endpoint:
          type: REST
        type: MODEL
        children: []
      - name: triple
        endpoint:
          type: REST
        type: MODEL
        children: []
    name: main
    replicas: 1
`;

const COMBINER = `
apiVersion: machinelearning.seldon.io/v1
kind: SeldonDeployment
metadata:
  name: ensemble
spec:
  predictors:
  - name: default
    graph:
      name: combiner
      implementation: AVERAGE_COMBINER
      children:
      - {name: half_plus_two, type: MODEL}
      - {name: triple, type: MODEL}
`;

const CANARY = `
apiVersion: machinelearning.seldon.io/v1
kind: SeldonDeployment
metadata:
  name: example
spec:
  predictors:
  - name: main
    traffic: 75
    graph: {name: half_plus_two, type: MODEL, children: []}
  - name: canary
    traffic: 25
    graph: {name: triple, type: MODEL, children: []}
`;

const CUSTOM_ROUTER = `
apiVersion: machinelearning.seldon.io/v1
kind: SeldonDeployment
metadata:
  name: custom
spec:
  predictors:
  - name: main
    graph:
      name: my-router
      type: ROUTER
      children: [{name: half_plus_two, type: MODEL}, {name: triple, type: MODEL}]
`;

describe('SeldonDeployment graphs', () => {
  let ferry: GraphServer;
  beforeAll(async () => {
    ferry = await startGraphServer({
      examples: ['half_plus_two'], scripted: { triple: { scale: 3 } },
      deployments: { abtest: AB_TEST, ensemble: COMBINER, example: CANARY, custom: CUSTOM_ROUTER },
    });
  }, 60_000);
  afterAll(() => ferry.stop());

  const predict = (graph: string, x: number) => postJson(`${ferry.url}/seldon/${graph}/api/v1.0/predictions`, { data: { ndarray: [x] } });

  it('serves a RANDOM_ABTEST over Seldon\'s protocol, naming the child that answered in meta.routing', async () => {
    const seen = new Map<string, number>();
    for (let i = 0; i < 200; i++) {
      const { status, body } = await predict('abtest', 4);
      expect(status).toBe(200);
      const child = body.meta.routing['random-ab-test'] as string;
      expect(body.data.ndarray[0]).toBe(child === 'half_plus_two' ? 4 : 12);
      seen.set(child, (seen.get(child) ?? 0) + 1);
    }
    expect(seen.get('half_plus_two')).toBeGreaterThan(60);
    expect(seen.get('triple')).toBeGreaterThan(60);
  });

  it('serves an AVERAGE_COMBINER', async () => {
    const { status, body } = await predict('ensemble', 4);
    expect(status).toBe(200);
    expect(body.data.ndarray[0]).toBeCloseTo((4 / 2 + 2 + 12) / 2, 6);
  });

  it('splits between predictors by their traffic percentages', async () => {
    let canary = 0;
    for (let i = 0; i < 400; i++) {
      const { body } = await predict('example', 1);
      if (body.meta.routing.predictors === 'canary') {
        canary++;
        expect(body.data.ndarray[0]).toBe(3);
      }
    }
    expect(canary / 400).toBeGreaterThan(0.15);
    expect(canary / 400).toBeLessThan(0.35);
  });

  it('refuses what has no Ferry equivalent, naming the node', async () => {
    const { body } = await postJson(`${ferry.url}/v2/repository/index`, {});
    expect(body.find((e: any) => e.name === 'custom').reason).toMatch(/SeldonDeployment 'custom' predictor 'main' node 'my-router': a custom ROUTER image cannot run in Ferry/);
  });
});
