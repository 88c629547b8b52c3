/**
 * Hostile model files through a real server (`ferry serve` in a child process, as in production): a repository
 * holding one example model per runtime beside every case of cases.ts. Each hostile model is refused at load with
 * an error naming what is wrong, or serves exactly what its unspoiled original serves; the server starts, stays
 * live, keeps serving the good models and drains on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORMAT_EXAMPLES, expectedFlat, readReference, v2Inputs, type ExampleReference } from '../fixtures/examples/references.ts';
import { EXAMPLE_MODELS, REPO_ROOT, postJson } from '../helpers/server.ts';
import { HOSTILE_CASES, ORIGINALS, buildHostileRepository, type HostileCase, type RuntimeName } from './cases.ts';

const NODE = path.join(REPO_ROOT, 'node_modules/.bin/node');
/** The server runs with a 2 GiB heap so that a file that would exhaust memory does so quickly and visibly. */
const HEAP_MB = 2048;
const LOAD_MEMORY_MB = 512;

interface IndexEntry { name: string; version?: string; state: string; reason?: string }

let root: string;
let child: ChildProcess | undefined;
let url: string;
let output = '';
let trap: Server;
const trapRequests: string[] = [];
let index: IndexEntry[] = [];

async function waitForServing(process: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start within ${timeoutMs} ms; its output ends with:\n${output.slice(-3000)}`)), timeoutMs);
    process.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (code ${code}, signal ${signal}) before listening; its output ends with:\n${output.slice(-3000)}`));
    });
    process.stdout!.on('data', () => {
      const line = output.split('\n').find((l) => l.includes('"msg":"ferry serving"'));
      if (line) {
        clearTimeout(timer);
        resolve(line);
      }
    });
  });
}

beforeAll(async () => {
  trap = createServer((req, res) => {
    trapRequests.push(req.url ?? '');
    res.end('<!ENTITY % x "y">');
  });
  await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
  const trapPort = (trap.address() as { port: number }).port;

  root = await mkdtemp(path.join(tmpdir(), 'ferry-hostile-'));
  const models = path.join(root, 'models');
  const outside = path.join(root, 'outside');
  await mkdir(outside, { recursive: true });
  for (const { model } of Object.values(ORIGINALS)) await cp(path.join(EXAMPLE_MODELS, model), path.join(models, model), { recursive: true });
  await buildHostileRepository(models, outside, `http://127.0.0.1:${trapPort}`);

  child = spawn(NODE, [`--max-old-space-size=${HEAP_MB}`, 'bin/ferry.js', 'serve', models, '--http-port', '0', '--grpc-port', '0', '--poll-seconds', '0', '--log-level', 'info'], {
    cwd: REPO_ROOT,
    env: { ...process.env, FERRY_HTTP_PORT: '', FERRY_REPOSITORY_LOAD_MEMORY_MB: String(LOAD_MEMORY_MB), FERRY_AUTH_ALLOW_LOOPBACK_WITHOUT_TOKEN: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const line = await waitForServing(child, 120_000);
  url = `http://127.0.0.1:${JSON.parse(line).http.split(':').at(-1)}`;
  index = (await postJson(`${url}/v2/repository/index`, {})).body as IndexEntry[];
}, 150_000);

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await new Promise<void>((resolve) => trap.close(() => resolve()));
  await rm(root, { recursive: true, force: true });
});

const references = new Map<RuntimeName, ExampleReference | { inputs: Record<string, number[][]>; outputs: Record<string, number[][]> }>();
async function referenceOf(runtime: RuntimeName) {
  if (!references.has(runtime)) {
    references.set(runtime, runtime === 'onnx'
      ? (JSON.parse(await readFile(path.join(REPO_ROOT, 'test/fixtures/onnx/simple.reference.json'), 'utf8')) as { inputs: Record<string, number[][]>; outputs: Record<string, number[][]> }[])[1]!
      : await readReference(ORIGINALS[runtime].model));
  }
  return references.get(runtime)!;
}

/** Asserts `model` answers what the runtime's original example answers (its library's predictions). */
async function expectOriginalPredictions(model: string, runtime: RuntimeName): Promise<void> {
  const reference = await referenceOf(runtime);
  if (runtime === 'onnx') {
    const { inputs, outputs } = reference as { inputs: Record<string, number[][]>; outputs: Record<string, number[][]> };
    const body = { inputs: Object.entries(inputs).map(([name, rows]) => ({ name, datatype: 'INT32', shape: [rows.length, 16], data: rows.flat() })) };
    const response = await postJson(`${url}/v2/models/${model}/infer`, body);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    for (const [name, rows] of Object.entries(outputs)) expect(response.body.outputs.find((o: { name: string }) => o.name === name).data).toEqual(rows.flat());
    return;
  }
  const example = FORMAT_EXAMPLES.find((e) => e.model === ORIGINALS[runtime].model)!;
  const table = reference as ExampleReference;
  const response = await postJson(`${url}/v2/models/${model}/infer`, { inputs: v2Inputs(table) });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  for (const output of example.outputs) {
    const actual = response.body.outputs.find((o: { name: string }) => o.name === output.name)?.data as (number | string)[];
    const expected = expectedFlat(table, output.name);
    if (example.labels.includes(output.name)) expect(actual, output.name).toEqual(expected);
    else {
      expect(actual.length, output.name).toBe(expected.length);
      actual.forEach((v, i) => expect(Math.abs((v as number) - (expected[i] as number)), `${output.name}[${i}]`).toBeLessThanOrEqual(1e-6 * Math.abs(expected[i] as number) + 1e-12));
    }
  }
}

async function expectLive(): Promise<void> {
  const live = await fetch(`${url}/v2/health/live`, { signal: AbortSignal.timeout(5000) });
  expect(live.status).toBe(200);
}

describe('hostile model files through a real server', () => {
  it('the server starts, lists every hostile model in its repository index and stays live', async () => {
    await expectLive();
    for (const hostile of HOSTILE_CASES) expect(index.some((e) => e.name === hostile.name), hostile.name).toBe(true);
  });

  const runtimes: RuntimeName[] = ['onnx', 'xgboost', 'lightgbm', 'sklearn', 'pmml'];
  for (const runtime of runtimes) {
    describe(runtime, () => {
      const cases = HOSTILE_CASES.filter((c) => c.runtime === runtime);
      it.each(cases.map((c) => [c.title, c] as const))('%s', async (_title, hostile: HostileCase) => {
        const entry = index.find((e) => e.name === hostile.name)!;
        expect(entry, `${hostile.name} is in the index`).toBeDefined();
        if ('refused' in hostile.expect) {
          expect(entry.state, `${hostile.name}: ${entry.reason}`).toBe('ERROR');
          expect(entry.reason).toMatch(hostile.expect.refused);
          expect(entry.reason, 'reasons name files relative to the repository').not.toContain(root);
          const ready = await fetch(`${url}/v2/models/${hostile.name}/ready`);
          expect(ready.status).toBe(503);
        } else {
          expect(entry.state, `${hostile.name}: ${entry.reason}`).toBe('READY');
          if (hostile.expect.served === 'as-original') await expectOriginalPredictions(hostile.name, runtime);
          else {
            const row = Array.from({ length: 16 }, (_, i) => i);
            const request = await postJson(`${url}/v2/models/${hostile.name}/infer`, {
              inputs: ['INPUT0', 'INPUT1'].map((name) => ({ name, datatype: 'INT32', shape: [1, 16], data: row })),
            });
            expect(request.status).toBe(400);
            expect(request.body.error).toMatch(/has shape \[1,16\], model expects \[-1,1099511627776\]/);
          }
        }
        await expectLive();
      }, 30_000);

      it(`the original ${ORIGINALS[runtime].model} keeps serving its library's predictions`, async () => {
        await expectOriginalPredictions(ORIGINALS[runtime].model, runtime);
      });
    });
  }

  it('an explicit load of a refused model answers 400 with the same reason, and the others keep serving', async () => {
    for (const hostile of HOSTILE_CASES.filter((c) => 'refused' in c.expect)) {
      const response = await postJson(`${url}/v2/repository/models/${hostile.name}/load`, {});
      expect(response.status, hostile.name).toBe(400);
      expect(response.body.error, hostile.name).toMatch((hostile.expect as { refused: RegExp }).refused);
    }
    for (const runtime of runtimes) await expectOriginalPredictions(ORIGINALS[runtime].model, runtime);
  }, 120_000);

  it('no model file made the server fetch a URL', () => {
    expect(trapRequests).toEqual([]);
  });

  it('drains and exits 0 on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 30_000);
});
