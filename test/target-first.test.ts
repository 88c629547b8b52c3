import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcClient, type GrpcServiceClient } from '../src/protocol/v2-grpc/index.ts';
import { startFerry, type RunningFerry } from './helpers/server.ts';

const NOT_FOUND = 5;

/**
 * A request for a model, version or label that does not exist is answered 404 (gRPC NOT_FOUND) whatever else is
 * wrong with it — an empty, malformed or oversized body, a wrong content type — on every protocol.
 */
describe('an unknown target is reported before anything about the body', () => {
  let ferry: RunningFerry;
  let client: GrpcServiceClient;
  beforeAll(async () => {
    ferry = await startFerry({ http: { body_limit_bytes: 1024 } });
    client = grpcClient('inference.GRPCInferenceService', `127.0.0.1:${ferry.ports.grpcPort}`);
  });
  afterAll(async () => {
    client?.close();
    await ferry?.stop();
  });

  const post = async (route: string, body: string, type = 'application/json') => {
    const response = await fetch(`${ferry.url}${route}`, { method: 'POST', body, headers: { 'content-type': type } });
    return { status: response.status, error: JSON.stringify(await response.json()) };
  };
  const bad = { empty: '', malformed: '{"inputs": [', wrongShape: '{"inputs": 7}', oversized: `{"inputs": [${'1,'.repeat(2000)}1]}` };

  it('V2 REST: unknown model or version with any broken body is 404', async () => {
    for (const body of Object.values(bad)) {
      expect(await post('/v2/models/no_such_model/infer', body)).toEqual({ status: 404, error: JSON.stringify({ error: "model 'no_such_model' not found" }) });
      expect(await post('/v2/models/half_plus_two/versions/9/infer', body)).toEqual({ status: 404, error: JSON.stringify({ error: "model 'half_plus_two' has no version '9'" }) });
    }
    // A known target with the same bodies gets the body's own error.
    expect((await post('/v2/models/half_plus_two/infer', bad.empty)).status).toBe(400);
    expect((await post('/v2/models/half_plus_two/infer', bad.oversized)).status).toBe(413);
  });

  it('TF Serving: unknown model, version or label is 404 before the body is read', async () => {
    for (const body of [bad.empty, bad.malformed, bad.wrongShape]) {
      expect((await post('/v1/models/no_such_model:predict', body)).status).toBe(404);
      expect((await post('/v1/models/half_plus_two/versions/9:predict', body)).status).toBe(404);
      expect((await post('/v1/models/half_plus_two/labels/nope:predict', body)).status).toBe(404);
    }
  });

  it('Seldon and MLflow: unknown model is 404 with an empty, malformed or wrongly typed body', async () => {
    for (const body of [bad.empty, bad.malformed]) {
      const seldon = await post('/seldon/no_such_model/api/v1.0/predictions', body);
      expect(seldon.status).toBe(404);
      expect(seldon.error).toContain('FERRY_ERR_MODEL_NOT_FOUND');
      expect((await post('/mlflow/no_such_model/invocations', body, 'text/plain')).status).toBe(404);
    }
  });

  it('gRPC: NOT_FOUND for an unknown model or version even with no inputs or broken contents', async () => {
    const failure = (request: object) => client.call('ModelInfer', request).then(() => undefined, (e: { code: number; details: string }) => ({ code: e.code, details: e.details }));
    expect(await failure({ model_name: 'no_such_model', inputs: [] })).toEqual({ code: NOT_FOUND, details: "model 'no_such_model' not found" });
    expect(await failure({ model_name: 'half_plus_two', model_version: '9', inputs: [{ name: 'x', datatype: 'NOPE', shape: [-3] }] }))
      .toEqual({ code: NOT_FOUND, details: "model 'half_plus_two' has no version '9'" });
    expect((await failure({ model_name: 'half_plus_two', inputs: [] }))?.code).toBe(3);
  });
});
