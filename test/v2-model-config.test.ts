// Triton's model configuration extension: GET /v2/models/{m}[/versions/{v}]/config answers the JSON form of the
// ModelConfig message (model_config.proto field names, DataType enum names, dims as numbers), the same
// configuration gRPC's ModelConfig gives.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcClient, type GrpcServiceClient } from '../src/protocol/v2-grpc/index.ts';
import { getJson, startFerry, type RunningFerry } from './helpers/server.ts';

let ferry: RunningFerry;
let client: GrpcServiceClient;
beforeAll(async () => {
  ferry = await startFerry({ grpc: { enabled: true } });
  client = grpcClient('inference.GRPCInferenceService', `127.0.0.1:${ferry.ports.grpcPort}`);
});
afterAll(async () => {
  client.close();
  await ferry.stop();
});

describe('model configuration extension over REST', () => {
  it('states the configuration of a model: platform, backend, inputs and outputs with Triton data types', async () => {
    const { status, body } = await getJson(`${ferry.url}/v2/models/simple/config`);
    expect(status).toBe(200);
    expect(body).toEqual({
      name: 'simple', platform: 'onnxruntime_onnx', backend: 'onnxruntime', max_batch_size: 0,
      input: [{ name: 'INPUT0', data_type: 'TYPE_INT32', dims: [-1, 16] }, { name: 'INPUT1', data_type: 'TYPE_INT32', dims: [-1, 16] }],
      output: [{ name: 'OUTPUT0', data_type: 'TYPE_INT32', dims: [-1, 16] }, { name: 'OUTPUT1', data_type: 'TYPE_INT32', dims: [-1, 16] }],
    });
  });

  it('answers for a named version, and 404 for an unknown model or version', async () => {
    expect((await getJson(`${ferry.url}/v2/models/half_plus_two/versions/1/config`)).body).toMatchObject({
      name: 'half_plus_two', input: [{ name: 'x', data_type: 'TYPE_FP32' }], output: [{ name: 'y', data_type: 'TYPE_FP32' }],
    });
    const unknown = await getJson(`${ferry.url}/v2/models/nothing/config`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/nothing/);
    expect((await getJson(`${ferry.url}/v2/models/simple/versions/9/config`)).status).toBe(404);
  });

  it('is the configuration gRPC ModelConfig answers', async () => {
    for (const model of ['simple', 'mlp', 'half_plus_two']) {
      const rest = (await getJson(`${ferry.url}/v2/models/${model}/config`)).body;
      const { config } = await client.call<{ config: any }>('ModelConfig', { name: model });
      const tensors = (list: any[]) => list.map((t) => ({ name: t.name, data_type: t.data_type, dims: t.dims.map(Number) }));
      expect({ name: config.name, platform: config.platform, backend: config.backend, max_batch_size: config.max_batch_size, input: tensors(config.input), output: tensors(config.output) })
        .toEqual(rest);
    }
  });

  it('is listed among the server extensions', async () => {
    expect((await getJson(`${ferry.url}/v2`)).body.extensions).toContain('model_configuration');
  });
});
