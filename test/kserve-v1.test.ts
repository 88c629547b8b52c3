// KServe's v1 protocol shares its paths with TF Serving's REST API: GET / (liveness), GET /v1/models (the list),
// GET /v1/models/{m} ({"name", "ready"} beside TF Serving's model_version_status) and POST /v1/models/{m}:predict.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, postJson, scratchRepository, startFerry, type RunningFerry } from './helpers/server.ts';

let ferry: RunningFerry;
let repo: Awaited<ReturnType<typeof scratchRepository>>;
beforeAll(async () => {
  repo = await scratchRepository(['half_plus_two', 'mlp']);
  ferry = await startFerry({ model_repository: repo.root, auth: { allow_loopback_without_token: true } });
});
afterAll(async () => {
  await ferry.stop();
  await repo.remove();
});

describe('KServe v1 protocol', () => {
  it('answers liveness at the root', async () => {
    expect(await getJson(`${ferry.url}/`)).toEqual({ status: 200, body: { status: 'alive' } });
  });

  it('lists the served models', async () => {
    expect(await getJson(`${ferry.url}/v1/models`)).toEqual({ status: 200, body: { models: ['half_plus_two', 'mlp'] } });
  });

  it('reports a model ready with its name, beside TF Serving version states', async () => {
    const { status, body } = await getJson(`${ferry.url}/v1/models/half_plus_two`);
    expect(status).toBe(200);
    expect(body).toEqual({
      name: 'half_plus_two', ready: true,
      model_version_status: [{ version: '1', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } }],
    });
  });

  it('reports ready false once the model is unloaded, and true again after a load', async () => {
    expect((await postJson(`${ferry.url}/v2/repository/models/mlp/unload`, {})).status).toBe(200);
    const unloaded = await getJson(`${ferry.url}/v1/models/mlp`);
    expect(unloaded.body).toMatchObject({ name: 'mlp', ready: false, model_version_status: [{ version: '1', state: 'END' }] });
    expect(unloaded.status).toBe(503); // KServe's probes read the status code
    expect((await postJson(`${ferry.url}/v2/repository/models/mlp/load`, {})).status).toBe(200);
    expect((await getJson(`${ferry.url}/v1/models/mlp`)).body).toMatchObject({ name: 'mlp', ready: true });
  });

  it('answers 404 with an error for an unknown model', async () => {
    const { status, body } = await getJson(`${ferry.url}/v1/models/nothing`);
    expect(status).toBe(404);
    expect(body.error).toMatch(/nothing/);
  });

  it('predicts from instances as KServe v1 clients send them (y = x/2 + 2)', async () => {
    const { status, body } = await postJson(`${ferry.url}/v1/models/half_plus_two:predict`, { instances: [1, 2, 5] });
    expect(status).toBe(200);
    expect(body).toEqual({ predictions: [2.5, 3, 4.5] });
  });
});
