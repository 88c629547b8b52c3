// `auth.inference: token`: every protocol's data plane needs a token with the `infer` scope (admin has it too),
// refused in each protocol's own error shape; probes and metrics stay open. Off by default.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcClient, type GrpcServiceClient } from '../src/protocol/v2-grpc/client.ts';
import { scratchRepository, startFerry, type RunningFerry } from './helpers/server.ts';
import { SIMPLE_ROW, simpleRequest } from './helpers/simple-model.ts';

const APP = 'app-token-0123456789abcdef';
const VIEWER = 'viewer-token-0123456789abcdef';
const OPERATOR = 'operator-token-0123456789abcdef';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const SUMS = SIMPLE_ROW.map((x) => 2 * x);

let repo: Awaited<ReturnType<typeof scratchRepository>>;
let ferry: RunningFerry;
let grpc: GrpcServiceClient;

beforeAll(async () => {
  repo = await scratchRepository(['simple']);
  ferry = await startFerry({
    model_repository: repo.root,
    auth: {
      inference: 'token',
      tokens: [
        { name: 'app', token: APP, scopes: ['infer'] },
        { name: 'viewer', token: VIEWER, scopes: ['read'] },
        { name: 'operator', token: OPERATOR, scopes: ['admin'] },
      ],
    },
  });
  grpc = grpcClient('inference.GRPCInferenceService', `127.0.0.1:${ferry.ports.grpcPort}`);
});

afterAll(async () => {
  grpc?.close();
  await ferry?.stop();
  await repo?.remove();
});

const inferV2 = (headers: Record<string, string> = {}) => fetch(`${ferry.url}/v2/models/simple/infer`, {
  method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(simpleRequest()),
});

describe('inference with auth.inference: token', () => {
  it('refuses V2 infer without a token (401, WWW-Authenticate), with an unknown token (401) and without the infer scope (403)', async () => {
    const none = await inferV2();
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(await none.json()).toEqual({ error: 'this endpoint needs a valid bearer token' });
    expect((await inferV2(bearer('not-a-token-0123456789'))).status).toBe(401);
    const viewer = await inferV2(bearer(VIEWER));
    expect(viewer.status).toBe(403);
    expect(((await viewer.json()) as { error: string }).error).toBe("token 'viewer' lacks the 'infer' scope this endpoint needs");
  });

  it('answers V2 infer for a token with the infer scope, and for an admin token', async () => {
    for (const token of [APP, OPERATOR]) {
      const answer = await inferV2(bearer(token));
      expect(answer.status).toBe(200);
      const body = (await answer.json()) as { outputs: { name: string; data: number[] }[] };
      expect(body.outputs.find((o) => o.name === 'OUTPUT0')!.data).toEqual(SUMS);
    }
  });

  it('guards metadata, TF Serving, MLflow and Seldon in their own error shapes', async () => {
    expect((await fetch(`${ferry.url}/v2/models/simple`)).status).toBe(401);
    expect((await fetch(`${ferry.url}/v2/models/simple`, { headers: bearer(APP) })).status).toBe(200);

    const tf = await fetch(`${ferry.url}/v1/models/simple:predict`, { method: 'POST', body: JSON.stringify({ instances: [] }) });
    expect(tf.status).toBe(401);
    expect(await tf.json()).toEqual({ error: 'this endpoint needs a valid bearer token' });

    const mlflow = await fetch(`${ferry.url}/mlflow/simple/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(mlflow.status).toBe(401);
    expect(await mlflow.json()).toEqual({ error_code: 'UNAUTHENTICATED', message: 'this endpoint needs a valid bearer token' });

    const seldon = await fetch(`${ferry.url}/seldon/simple/api/v1.0/predictions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(seldon.status).toBe(401);
    expect(((await seldon.json()) as { status: { code: number; status: string } }).status).toMatchObject({ code: 401, status: 'FAILURE' });
  });

  it('leaves probes and metrics open', async () => {
    for (const path of ['/v2/health/live', '/v2/health/ready', '/v2/models/simple/ready', '/metrics']) {
      expect((await fetch(`${ferry.url}${path}`)).status, path).toBe(200);
    }
  });

  it('guards gRPC ModelInfer and ModelMetadata but not ServerReady', async () => {
    expect(await grpc.call('ServerReady')).toEqual({ ready: true });
    await expect(grpc.call('ModelMetadata', { name: 'simple' })).rejects.toMatchObject({ code: 16 });
    await expect(grpc.call('ModelMetadata', { name: 'simple' }, { metadata: bearer(VIEWER) })).rejects.toMatchObject({ code: 7 });
    const request = {
      model_name: 'simple',
      inputs: ['INPUT0', 'INPUT1'].map((name) => ({ name, datatype: 'INT32', shape: [1, 16], contents: { int_contents: [...SIMPLE_ROW] } })),
    };
    await expect(grpc.call('ModelInfer', request)).rejects.toMatchObject({ code: 16 });
    const answer = await grpc.call<{ raw_output_contents: Buffer[]; outputs: { name: string }[] }>('ModelInfer', request, { metadata: bearer(APP) });
    const index = answer.outputs.findIndex((o) => o.name === 'OUTPUT0');
    const raw = answer.raw_output_contents[index]!;
    expect(Array.from({ length: raw.length / 4 }, (_, i) => raw.readInt32LE(4 * i))).toEqual(SUMS);
  });

  it("guards Seldon's gRPC Predict and SendFeedback, Seldon and Model services alike", async () => {
    const seldon = grpcClient('seldon.protos.Seldon', `127.0.0.1:${ferry.ports.grpcPort}`);
    const model = grpcClient('seldon.protos.Model', `127.0.0.1:${ferry.ports.grpcPort}`);
    try {
      const message = { data: { tensor: { shape: [1, 16], values: [...SIMPLE_ROW] } } };
      const jsonData = { jsonData: { structValue: { fields: Object.fromEntries(['INPUT0', 'INPUT1'].map((name) => [name, { listValue: { values: [{ listValue: { values: SIMPLE_ROW.map((x) => ({ numberValue: x })) } }] } }])) } } };
      for (const client of [seldon, model]) {
        await expect(client.call('Predict', message)).rejects.toMatchObject({ code: 16 });
        await expect(client.call('Predict', message, { metadata: bearer(VIEWER) })).rejects.toMatchObject({ code: 7 });
        await expect(client.call('SendFeedback', { reward: 1 })).rejects.toMatchObject({ code: 16 });
        const answer = await client.call<{ jsonData: { structValue: { fields: Record<string, any> } } }>('Predict', jsonData, { metadata: bearer(APP) });
        expect(answer.jsonData.structValue.fields['OUTPUT0'].listValue.values[0].listValue.values.map((v: { numberValue: number }) => v.numberValue)).toEqual(SUMS);
        expect(await client.call('SendFeedback', { reward: 1 }, { metadata: bearer(APP) })).toMatchObject({ meta: { requestPath: { simple: 'simple:1' } } });
      }
    } finally {
      seldon.close();
      model.close();
    }
  });

  it('guards the gRPC stream before it reads a message', async () => {
    const stream = grpc.duplex('ModelStreamInfer');
    const status = await new Promise<{ code: number }>((resolve) => {
      stream.on('error', (error: { code: number }) => resolve(error));
      stream.on('data', () => undefined);
    });
    expect(status.code).toBe(16);
  });
});
