// Triton's trace and logging extensions answer what Ferry's configuration sets and refuse run-time changes; the
// shared-memory extensions are absent from server metadata, and every use of them is refused clearly (never an
// answer whose tensors went somewhere else).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, postJson, startFerry, type RunningFerry } from './helpers/server.ts';

let ferry: RunningFerry;
let debug: RunningFerry;
beforeAll(async () => {
  ferry = await startFerry();
  debug = await startFerry({ log_level: 'debug', tracing: { enabled: true } });
});
afterAll(async () => {
  await ferry.stop();
  await debug.stop();
});

const SIMPLE_ROW = Array.from({ length: 16 }, (_, i) => i);

describe('trace extension', () => {
  it('reports tracing off or on (OpenTelemetry) as the configuration sets it, for the server and a model', async () => {
    expect((await getJson(`${ferry.url}/v2/trace/setting`)).body).toMatchObject({ trace_level: ['OFF'], trace_mode: 'opentelemetry' });
    expect((await getJson(`${debug.url}/v2/trace/setting`)).body).toMatchObject({ trace_level: ['TIMESTAMPS'], trace_mode: 'opentelemetry' });
    expect((await getJson(`${debug.url}/v2/models/simple/trace/setting`)).body.trace_level).toEqual(['TIMESTAMPS']);
  });

  it('refuses changes at run time, naming the setting', async () => {
    for (const path of ['/v2/trace/setting', '/v2/models/simple/trace/setting']) {
      const r = await postJson(`${ferry.url}${path}`, { trace_level: ['TIMESTAMPS'] });
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('changing trace settings at run time is not supported by Ferry: tracing is set in the configuration (tracing.enabled, and the OTEL_* variables for sampling and export)');
    }
  });
});

describe('logging extension', () => {
  it('reports the levels log_level turns on', async () => {
    expect((await getJson(`${ferry.url}/v2/logging`)).body).toEqual({ log_file: '', log_info: false, log_warning: false, log_error: false, log_verbose_level: 0, log_format: 'default' });
    expect((await getJson(`${debug.url}/v2/logging`)).body).toEqual({ log_file: '', log_info: true, log_warning: true, log_error: true, log_verbose_level: 1, log_format: 'default' });
  });

  it('refuses changes at run time', async () => {
    const r = await postJson(`${ferry.url}/v2/logging`, { log_verbose_level: 1 });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/^changing log settings at run time is not supported by Ferry: .*log_level/);
  });
});

describe('shared memory', () => {
  it('is not listed among the server extensions', async () => {
    const { extensions } = (await getJson(`${ferry.url}/v2`)).body;
    expect(extensions).not.toContain('system_shared_memory');
    expect(extensions).not.toContain('cuda_shared_memory');
  });

  it('answers every shared-memory route with a clear refusal', async () => {
    const calls: [string, string][] = [
      ['GET', '/v2/systemsharedmemory/status'], ['GET', '/v2/systemsharedmemory/region/r0/status'],
      ['POST', '/v2/systemsharedmemory/region/r0/register'], ['POST', '/v2/systemsharedmemory/unregister'],
      ['POST', '/v2/cudasharedmemory/region/r0/register'],
    ];
    for (const [method, path] of calls) {
      const response = await fetch(`${ferry.url}${path}`, { method, ...(method === 'POST' ? { body: '{"key": "/r0", "offset": 0, "byte_size": 64}', headers: { 'content-type': 'application/json' } } : {}) });
      expect(response.status, path).toBe(400);
      expect(((await response.json()) as { error: string }).error, path).toMatch(/^(system|CUDA) shared memory is not supported by Ferry: tensors travel in the request and response bodies/);
    }
  });

  it('refuses an inference request whose input or output names a shared-memory region', async () => {
    const input = await postJson(`${ferry.url}/v2/models/simple/infer`, {
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], parameters: { shared_memory_region: 'input0_data', shared_memory_byte_size: 64 } },
        { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: SIMPLE_ROW },
      ],
    });
    expect(input.status).toBe(400);
    expect(input.body.error).toBe("shared memory is not supported by Ferry: input 'INPUT0' names a shared-memory region; send its data in the body");
    const output = await postJson(`${ferry.url}/v2/models/simple/infer`, {
      inputs: ['INPUT0', 'INPUT1'].map((name) => ({ name, datatype: 'INT32', shape: [1, 16], data: SIMPLE_ROW })),
      outputs: [{ name: 'OUTPUT0', parameters: { shared_memory_region: 'output0_data', shared_memory_byte_size: 64 } }],
    });
    expect(output.status).toBe(400);
    expect(output.body.error).toBe("shared memory is not supported by Ferry: 'OUTPUT0' names the region 'output0_data'; tensors travel in the request and response bodies");
  });
});
