import { cp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcClient, type GrpcServiceClient } from '../src/protocol/v2-grpc/index.ts';
import { jsonOf, scratchRepository, startFerry, type RunningFerry } from './helpers/server.ts';

/** Every protocol says which version answered: the `ferry-model-version` header, and the protocol's own field. */
describe('ferry-model-version on every protocol', () => {
  let ferry: RunningFerry;
  let repo: Awaited<ReturnType<typeof scratchRepository>>;
  let client: GrpcServiceClient;

  beforeAll(async () => {
    repo = await scratchRepository(['half_plus_two']);
    await cp(path.join(repo.root, 'half_plus_two/1'), path.join(repo.root, 'half_plus_two/2'), { recursive: true });
    await cp(path.join(repo.root, 'half_plus_two/1'), path.join(repo.root, 'half_plus_two/3'), { recursive: true });
    await writeFile(path.join(repo.root, 'half_plus_two/model.yaml'), 'version_policy: {specific: [1, 2]}\n');
    ferry = await startFerry({ model_repository: repo.root });
    client = grpcClient('inference.GRPCInferenceService', `127.0.0.1:${ferry.ports.grpcPort}`);
  });
  afterAll(async () => {
    client?.close();
    await ferry?.stop();
    await repo?.remove();
  });

  const post = (route: string, body: string, type = 'application/json') => fetch(`${ferry.url}${route}`, { method: 'POST', body, headers: { 'content-type': type } });
  const v2Body = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [2] }] });

  it('V2 REST: header and model_version agree, for the default and a named version', async () => {
    for (const [route, version] of [['/v2/models/half_plus_two/infer', '2'], ['/v2/models/half_plus_two/versions/1/infer', '1']] as const) {
      const response = await post(route, v2Body);
      expect(response.status).toBe(200);
      expect(response.headers.get('ferry-model-version')).toBe(version);
      expect((await jsonOf(response)).model_version).toBe(version);
    }
  });

  it('TF Serving, Seldon and MLflow answers carry the header', async () => {
    const tf = await post('/v1/models/half_plus_two/versions/1:predict', '{"instances": [2.0]}');
    expect(await tf.json()).toEqual({ predictions: [3.0] });
    expect(tf.headers.get('ferry-model-version')).toBe('1');
    const tfDefault = await post('/v1/models/half_plus_two:predict', '{"instances": [2.0]}');
    expect(tfDefault.headers.get('ferry-model-version')).toBe('2');
    const seldon = await post('/seldon/half_plus_two/api/v1.0/predictions', '{"data": {"ndarray": [2.0]}}');
    expect(seldon.status).toBe(200);
    expect(seldon.headers.get('ferry-model-version')).toBe('2');
    expect((await jsonOf(seldon)).meta.requestPath).toEqual({ half_plus_two: 'half_plus_two:2' });
    const mlflow = await post('/mlflow/half_plus_two/invocations', '{"inputs": [2.0]}');
    expect(mlflow.status).toBe(200);
    expect(mlflow.headers.get('ferry-model-version')).toBe('2');
  });

  it('gRPC: model_version in the response and ferry-model-version in the initial metadata', async () => {
    const request = { model_name: 'half_plus_two', model_version: '1', inputs: [{ name: 'x', datatype: 'FP32', shape: [1] }], raw_input_contents: [Buffer.from(new Float32Array([2]).buffer)] };
    const named = await client.callWithMetadata<{ model_version: string }>('ModelInfer', request);
    expect(named.response.model_version).toBe('1');
    expect(named.metadata['ferry-model-version']).toBe('1');
    const latest = await client.callWithMetadata<{ model_version: string }>('ModelInfer', { ...request, model_version: '' });
    expect(latest.response.model_version).toBe('2');
    expect(latest.metadata['ferry-model-version']).toBe('2');
  });
});
