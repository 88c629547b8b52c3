import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, loadConfig, type FerryConfigInput, type FerryServer } from '../src/index.ts';
import { grpcClient } from '../src/protocol/v2-grpc/client.ts';
import { createOnnxRuntime } from '../src/runtimes/onnx/onnx-runtime.ts';
import type { Runtime } from '../src/runtimes/runtime.ts';
import { EXAMPLE_MODELS } from './helpers/server.ts';
import { simpleRequest } from './helpers/simple-model.ts';

/** What each `checked` model's own readiness check answers: true, false, an error, or never ('hang'). */
const checkAnswers = new Map<string, boolean | Error | 'hang'>();

/** A runtime whose models declare their own readiness check (as a model written as code does). */
function checkedRuntime(): Runtime {
  return {
    name: 'checked',
    canLoad: async (dir) => dir.files.includes('checked.model'),
    async load(spec) {
      return {
        signature: { platform: 'checked', inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }], outputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }] },
        maxBatchSize: 0,
        execute: async (batch) => batch.map((request) => ({ outputs: request.inputs })),
        unload: async () => {},
        ready(signal) {
          const answer = checkAnswers.get(spec.name) ?? true;
          if (answer === 'hang') return new Promise<boolean>((resolve) => signal.addEventListener('abort', () => resolve(true)));
          if (answer instanceof Error) throw answer;
          return answer;
        },
      };
    },
  };
}

interface Started {
  readonly server: FerryServer;
  readonly url: string;
  readonly grpcAddress: string;
  readonly root: string;
}

const running: Started[] = [];
afterEach(async () => {
  for (const started of running.splice(0)) {
    await started.server.stop();
    await rm(started.root, { recursive: true, force: true });
  }
});

/** A repository with the `simple` example, a corrupt ONNX model `broken`, and the given `checked` models. */
async function serve(options: { broken?: boolean; checked?: readonly string[]; config?: FerryConfigInput; start?: boolean } = {}): Promise<Started> {
  const root = await mkdtemp(path.join(tmpdir(), 'ferry-health-'));
  await cp(path.join(EXAMPLE_MODELS, 'simple'), path.join(root, 'simple'), { recursive: true });
  if (options.broken ?? true) {
    await mkdir(path.join(root, 'broken', '1'), { recursive: true });
    await writeFile(path.join(root, 'broken', '1', 'model.onnx'), 'not an onnx file');
  }
  for (const name of options.checked ?? []) {
    await mkdir(path.join(root, name, '1'), { recursive: true });
    await writeFile(path.join(root, name, '1', 'checked.model'), '');
  }
  const config = loadConfig({
    env: {},
    overrides: { model_repository: root, poll_seconds: 0, log_level: 'silent', http: { port: 0 }, grpc: { port: 0 }, ...options.config } as Record<string, unknown>,
  });
  const server = createServer({ config, runtimes: [createOnnxRuntime(), checkedRuntime()] });
  if (options.start === false) {
    const started = { server, url: '', grpcAddress: '', root };
    running.push(started);
    return started;
  }
  const ports = await server.start();
  const started = { server, url: `http://127.0.0.1:${ports.httpPort}`, grpcAddress: `127.0.0.1:${ports.grpcPort}`, root };
  running.push(started);
  return started;
}

async function get(url: string): Promise<{ status: number; body: any }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
}

describe('health: liveness, readiness and startup', () => {
  it('a server with one broken model is live and started but not ready, and says which model and why, on every protocol', async () => {
    const { url, grpcAddress } = await serve();
    expect(await get(`${url}/v2/health/live`)).toEqual({ status: 200, body: { live: true } });
    expect(await get(`${url}/v2/health/startup`)).toEqual({ status: 200, body: { started: true } });
    const ready = await get(`${url}/v2/health/ready`);
    expect(ready.status).toBe(503);
    expect(ready.body.ready).toBe(false);
    expect(ready.body.ready_models).toBe(1);
    expect(ready.body.not_ready).toHaveLength(1);
    expect(ready.body.not_ready[0]).toMatchObject({ name: 'broken', required: true });
    expect(ready.body.not_ready[0].reason).toMatch(/^version 1 is ERROR: /);
    expect(ready.body.reasons[0]).toMatch(/^model 'broken' is not ready: version 1 is ERROR/);
    // The healthy model still serves: readiness is about the server as a whole.
    const infer = await fetch(`${url}/v2/models/simple/infer`, { method: 'POST', body: JSON.stringify(simpleRequest()) });
    expect(infer.status).toBe(200);
    // Every protocol's health route gives the same verdict: MLflow, KServe v1 and TF Serving, Seldon.
    for (const route of ['/ping', '/health', '/v1/models/broken', '/health/status', '/ready']) {
      expect((await fetch(`${url}${route}`)).status, route).toBe(503);
    }
    // KServe v1's root is liveness: it stays alive, or a liveness probe on it would restart a loading server.
    expect(await get(`${url}/`)).toEqual({ status: 200, body: { status: 'alive' } });
    expect(await get(`${url}/v1/models/broken`)).toMatchObject({ body: { name: 'broken', ready: false, model_version_status: [{ version: '1', state: 'END' }] } });
    expect((await get(`${url}/ready`)).body).toEqual({ status: 'not ready', reasons: ready.body.reasons });
    expect(await get(`${url}/v1/models/simple`)).toMatchObject({ status: 200, body: { ready: true } });
    for (const route of ['/health/ping', '/live']) expect((await fetch(`${url}${route}`)).status, route).toBe(200);

    const inference = grpcClient('inference.GRPCInferenceService', grpcAddress);
    const health = grpcClient('grpc.health.v1.Health', grpcAddress);
    try {
      expect(await inference.call('ServerReady')).toEqual({ ready: false });
      expect(await inference.call('ServerLive')).toEqual({ live: true });
      expect(await health.call('Check', { service: '' })).toEqual({ status: 'NOT_SERVING' });
      expect(await health.call('Check', { service: 'readiness' })).toEqual({ status: 'NOT_SERVING' });
      expect(await health.call('Check', { service: 'liveness' })).toEqual({ status: 'SERVING' });
      expect(await health.call('Check', { service: 'startup' })).toEqual({ status: 'SERVING' });
    } finally {
      inference.close();
      health.close();
    }
  });

  it('becomes ready when the broken model is unloaded on request, and when a fixed version replaces it', async () => {
    const { url, server, root } = await serve();
    expect((await get(`${url}/v2/health/ready`)).status).toBe(503);
    await server.dataplane.unloadModel('broken');
    expect(await get(`${url}/v2/health/ready`)).toEqual({ status: 200, body: { ready: true, ready_models: 1 } });
    expect(await get(`${url}/`)).toEqual({ status: 200, body: { status: 'alive' } });
    for (const route of ['/ping', '/health', '/health/status', '/ready']) expect((await fetch(`${url}${route}`)).status, route).toBe(200);
    await cp(path.join(EXAMPLE_MODELS, 'simple', '1', 'model.onnx'), path.join(root, 'broken', '1', 'model.onnx'));
    await server.dataplane.loadModel('broken');
    expect(await get(`${url}/v2/health/ready`)).toEqual({ status: 200, body: { ready: true, ready_models: 2 } });
  });

  it('readiness.require names the models to wait for; the others are listed as not required', async () => {
    const { url } = await serve({ config: { readiness: { require: ['simple'] } } });
    const ready = await get(`${url}/v2/health/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body.ready).toBe(true);
    expect(ready.body.not_ready).toEqual([expect.objectContaining({ name: 'broken', required: false })]);
    for (const route of ['/ping', '/health', '/health/status', '/ready']) expect((await fetch(`${url}${route}`)).status, route).toBe(200);
    const ghost = await serve({ broken: false, config: { readiness: { require: ['simple', 'ghost'] } } });
    const missing = await get(`${ghost.url}/v2/health/ready`);
    expect(missing.status).toBe(503);
    expect(missing.body.not_ready).toEqual([{ name: 'ghost', required: true, reason: 'not in the model repository' }]);
  });

  it('readiness.min_ready: exactly as many ready models as asked is ready, one more is not', async () => {
    const enough = await serve({ checked: ['c1'], config: { readiness: { require: [], min_ready: 2 } } });
    expect((await get(`${enough.url}/v2/health/ready`)).status).toBe(200);
    const tooFew = await serve({ checked: ['c2'], config: { readiness: { require: [], min_ready: 3 } } });
    const report = await get(`${tooFew.url}/v2/health/ready`);
    expect(report.status).toBe(503);
    expect(report.body.reasons).toEqual(['2 model(s) ready, readiness.min_ready is 3']);
  });

  it("a model's own readiness check: false, a thrown error or no answer in time make the server not ready", async () => {
    const { url, grpcAddress } = await serve({ broken: false, checked: ['code_model'], config: { readiness: { check_timeout_ms: 100 } } });
    const health = grpcClient('grpc.health.v1.Health', grpcAddress);
    try {
      checkAnswers.set('code_model', true);
      expect((await get(`${url}/v2/health/ready`)).status).toBe(200);
      checkAnswers.set('code_model', false);
      let report = await get(`${url}/v2/health/ready`);
      expect(report.status).toBe(503);
      expect(report.body.not_ready).toEqual([{ name: 'code_model', required: true, reason: 'its readiness check failed: it answered not ready' }]);
      expect(await health.call('Check', { service: 'readiness' })).toEqual({ status: 'NOT_SERVING' });
      checkAnswers.set('code_model', new Error('feature store unreachable'));
      report = await get(`${url}/v2/health/ready`);
      expect(report.body.not_ready[0].reason).toBe('its readiness check failed: feature store unreachable');
      checkAnswers.set('code_model', 'hang');
      const started = performance.now();
      report = await get(`${url}/v2/health/ready`);
      expect(performance.now() - started).toBeLessThan(2000);
      expect(report.body.not_ready[0].reason).toBe('its readiness check failed: no answer within 100 ms (readiness.check_timeout_ms)');
      checkAnswers.set('code_model', true);
      expect((await get(`${url}/v2/health/ready`)).status).toBe(200);
      expect(await health.call('Check', { service: 'readiness' })).toEqual({ status: 'SERVING' });
    } finally {
      health.close();
      checkAnswers.delete('code_model');
    }
  });

  it('before the first scan has finished, the server is neither started nor ready; while draining it is live but not ready', async () => {
    const { server } = await serve({ broken: false, start: false });
    expect(server.dataplane.started()).toBe(false);
    expect((await server.dataplane.readiness()).reasons).toEqual(['the first repository scan has not finished']);
    await server.start();
    expect(server.dataplane.started()).toBe(true);
    expect(await server.dataplane.ready()).toBe(true);
    server.dataplane.beginShutdown();
    expect(server.dataplane.live()).toBe(true);
    expect((await server.dataplane.readiness()).reasons).toEqual(['the server is shutting down']);
  });
});
