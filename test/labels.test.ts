import { cp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcClient, type GrpcServiceClient } from '../src/protocol/v2-grpc/index.ts';
import { jsonOf, scratchRepository, startFerry, type RunningFerry } from './helpers/server.ts';

/** Version labels (TF Serving's /labels/<label>) follow model.yaml, and move when it changes. */
describe('version labels', () => {
  let ferry: RunningFerry;
  let repo: Awaited<ReturnType<typeof scratchRepository>>;
  const writeConfig = (labels: string) => writeFile(path.join(repo.root, 'half_plus_two/model.yaml'), `version_policy: all\nlabels: {${labels}}\n`);

  beforeAll(async () => {
    repo = await scratchRepository(['half_plus_two']);
    await cp(path.join(repo.root, 'half_plus_two/1'), path.join(repo.root, 'half_plus_two/2'), { recursive: true });
    await writeConfig('stable: 1, canary: 2');
    ferry = await startFerry({ model_repository: repo.root, poll_seconds: 0.2 });
  });
  afterAll(async () => {
    await ferry.stop();
    await repo.remove();
  });

  const versionOf = async (label: string) => {
    const response = await fetch(`${ferry.url}/v1/models/half_plus_two/labels/${label}`);
    const body = await jsonOf(response);
    return response.status === 200 ? body.model_version_status.map((s: { version: string }) => s.version) : body.error;
  };

  it('serves each label from its version, and moves a label when model.yaml changes', async () => {
    expect(await versionOf('stable')).toEqual(['1']);
    expect(await versionOf('canary')).toEqual(['2']);
    const predict = await fetch(`${ferry.url}/v1/models/half_plus_two/labels/canary:predict`, { method: 'POST', body: '{"instances": [2.0]}' });
    expect(await jsonOf(predict)).toEqual({ predictions: [3.0] });
    await writeConfig('stable: 2');
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && JSON.stringify(await versionOf('stable')) !== '["2"]') await new Promise((r) => setTimeout(r, 50));
    expect(await versionOf('stable')).toEqual(['2']);
    expect(await versionOf('canary')).toMatch(/has no label 'canary'/);
  }, 30_000);
});

/** A label works wherever a version does, on every protocol; `default_label` serves requests that name neither. */
describe('labels in place of versions, and the default label', () => {
  let ferry: RunningFerry;
  let repo: Awaited<ReturnType<typeof scratchRepository>>;
  let client: GrpcServiceClient;
  const yamlPath = () => path.join(repo.root, 'half_plus_two/model.yaml');

  beforeAll(async () => {
    repo = await scratchRepository(['half_plus_two']);
    for (const v of ['2', '3']) await cp(path.join(repo.root, 'half_plus_two/1'), path.join(repo.root, `half_plus_two/${v}`), { recursive: true });
    await writeFile(yamlPath(), 'version_policy: all\nlabels: {stable: 1, canary: 3}\ndefault_label: stable\n');
    ferry = await startFerry({ model_repository: repo.root, poll_seconds: 0.2 });
    client = grpcClient('inference.GRPCInferenceService', `127.0.0.1:${ferry.ports.grpcPort}`);
  });
  afterAll(async () => {
    client?.close();
    await ferry?.stop();
    await repo?.remove();
  });

  const post = async (route: string, body: string) => {
    const response = await fetch(`${ferry.url}${route}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    return { status: response.status, version: response.headers.get('ferry-model-version'), body: await jsonOf(response) };
  };
  const v2 = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [2] }] });

  it('V2 REST: versions/{label} for infer, ready and metadata; unlabelled requests go to the default label', async () => {
    const canary = await post('/v2/models/half_plus_two/versions/canary/infer', v2);
    expect([canary.status, canary.version, canary.body.model_version, canary.body.outputs[0].data]).toEqual([200, '3', '3', [3]]);
    expect((await post('/v2/models/half_plus_two/versions/2/infer', v2)).version).toBe('2');
    const unlabelled = await post('/v2/models/half_plus_two/infer', v2);
    expect([unlabelled.status, unlabelled.version]).toEqual([200, '1']);
    expect((await fetch(`${ferry.url}/v2/models/half_plus_two/versions/canary/ready`)).status).toBe(200);
    expect((await fetch(`${ferry.url}/v2/models/half_plus_two/versions/canary`)).status).toBe(200);
    const unknown = await post('/v2/models/half_plus_two/versions/nightly/infer', v2);
    expect([unknown.status, unknown.body.error]).toEqual([404, "model 'half_plus_two' has no version 'nightly'"]);
  });

  it('gRPC: model_version takes a label; an empty one takes the default label', async () => {
    const request = { model_name: 'half_plus_two', model_version: 'canary', inputs: [{ name: 'x', datatype: 'FP32', shape: [1] }], raw_input_contents: [Buffer.from(new Float32Array([2]).buffer)] };
    expect((await client.call<{ model_version: string }>('ModelInfer', request)).model_version).toBe('3');
    expect((await client.call<{ model_version: string }>('ModelInfer', { ...request, model_version: '' })).model_version).toBe('1');
    expect((await client.call<{ ready: boolean }>('ModelReady', { name: 'half_plus_two', version: 'canary' })).ready).toBe(true);
  });

  it('TF Serving, Seldon and MLflow: a version or label in the path, the default label without one', async () => {
    expect((await post('/v1/models/half_plus_two/versions/canary:predict', '{"instances": [2.0]}')).version).toBe('3');
    expect((await post('/v1/models/half_plus_two/labels/canary:predict', '{"instances": [2.0]}')).version).toBe('3');
    expect((await post('/v1/models/half_plus_two:predict', '{"instances": [2.0]}')).version).toBe('1');
    const status = await jsonOf(await fetch(`${ferry.url}/v1/models/half_plus_two/versions/canary`));
    expect(status.model_version_status.map((s: { version: string }) => s.version)).toEqual(['3']);
    const metadata = await jsonOf(await fetch(`${ferry.url}/v1/models/half_plus_two/metadata`));
    expect(metadata.model_spec.version).toBe('1');
    const seldon = await post('/seldon/half_plus_two/versions/canary/api/v1.0/predictions', '{"data": {"ndarray": [2.0]}}');
    expect([seldon.status, seldon.version, seldon.body.meta.requestPath]).toEqual([200, '3', { half_plus_two: 'half_plus_two:3' }]);
    expect((await post('/seldon/half_plus_two/api/v1.0/predictions', '{"data": {"ndarray": [2.0]}}')).version).toBe('1');
    const mlflow = await post('/mlflow/half_plus_two/versions/canary/invocations', '{"inputs": [2.0]}');
    expect([mlflow.status, mlflow.version, mlflow.body]).toEqual([200, '3', { predictions: [3] }]);
    expect((await post('/mlflow/half_plus_two/versions/2/invocations', '{"inputs": [2.0]}')).version).toBe('2');
    expect((await post('/mlflow/half_plus_two/versions/nightly/invocations', '{"inputs": [2.0]}')).status).toBe(404);
  });

  it('a label naming a version that does not exist is a model.yaml error, in status and the index; what serves keeps serving', async () => {
    await writeFile(yamlPath(), 'version_policy: all\nlabels: {stable: 1, canary: 9}\n');
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && ferry.server.dataplane.modelStatus('half_plus_two').config_error === undefined) await new Promise((r) => setTimeout(r, 50));
    expect(ferry.server.dataplane.modelStatus('half_plus_two').config_error)
      .toBe("failed to load model 'half_plus_two': model.yaml labels.canary: version 9 does not exist (versions: 1, 2, 3)");
    const index = await jsonOf(await fetch(`${ferry.url}/v2/repository/index`, { method: 'POST' }));
    expect(index[0].reason).toBe("serving with the configuration it loaded with; failed to load model 'half_plus_two': model.yaml labels.canary: version 9 does not exist (versions: 1, 2, 3)");
    expect((await post('/v2/models/half_plus_two/versions/canary/infer', v2)).version).toBe('3');
    await writeFile(yamlPath(), 'version_policy: all\nlabels: {stable: 1}\ndefault_label: canary\n');
    const deadline2 = Date.now() + 10_000;
    const error = () => ferry.server.dataplane.modelStatus('half_plus_two').config_error;
    while (Date.now() < deadline2 && !String(error()).includes('default_label')) await new Promise((r) => setTimeout(r, 50));
    expect(error()).toBe("failed to load model 'half_plus_two': model.yaml default_label: 'canary' is not a label (labels: stable)");
  }, 30_000);
});
