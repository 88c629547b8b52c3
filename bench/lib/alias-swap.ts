/**
 * The alias-swap experiment, shared by bench/registry-swap.ts (measured) and a bounded test: a Ferry server follows
 * `models:/scale@champion`, closed-loop clients send requests on loopback, and the alias moves between version 1
 * (y = x) and version 2 (y = 2x) while they do. Every answer is checked against the version it names, and against
 * the versions it may come from: a request admitted after the first answer from the new version was seen, and
 * answered before the next move, must come from the new version.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, request } from 'node:http';
import { createServer, loadConfig } from '../../src/index.ts';
import { digestLocal } from '../../src/repository/artifacts/index.ts';
import { scaleArtifact } from '../../test/helpers/registry.ts';

export interface SwapOptions {
  readonly moves: number;
  readonly clients: number;
  /** Steady load measured before the first move. */
  readonly steadyMs: number;
  /** Load kept up after the first answer from the new version before the next move. */
  readonly settleMs: number;
  /** A bound on the whole run. */
  readonly maxRequests: number;
  readonly registryStore?: string;
}

interface Sample {
  readonly admitted: number;
  readonly answered: number;
  readonly status: number;
  readonly version: string;
  readonly y0: number;
}

export interface SwapResult {
  readonly requests: number;
  readonly failures: readonly string[];
  readonly violations: readonly string[];
  readonly steady: { readonly count: number; readonly p50: number; readonly p99: number };
  readonly swapping: { readonly count: number; readonly p50: number; readonly p99: number };
  /** Per move: milliseconds from the alias move to the first answer from the version it names. */
  readonly firstAnswerMs: readonly number[];
}

const BODY = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] });
const TOKEN = 'swap-experiment-token-0123456789';

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function post(agent: Agent, port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/v2/models/scale/infer', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(BODY);
  });
}

export async function runAliasSwap(options: SwapOptions): Promise<SwapResult> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'ferry-swap-'));
  const repository = await mkdtemp(path.join(tmpdir(), 'ferry-swap-repo-'));
  const server = createServer({
    config: loadConfig({
      env: {},
      overrides: {
        model_repository: repository, data_dir: dataDir, poll_seconds: 0, log_level: 'silent',
        http: { port: 0 }, grpc: { enabled: false },
        auth: { tokens: [{ name: 'release', token: TOKEN, scopes: ['admin'] }] },
        registry: { poll_seconds: 0.05, ...(options.registryStore ? { store: options.registryStore } : {}) },
        models: { scale: 'models:/scale@champion' },
      },
    }),
  });
  const { httpPort } = await server.start();
  const base = `http://127.0.0.1:${httpPort}`;
  const api = async (method: string, url: string, body: unknown) => {
    const response = await fetch(`${base}${url}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<{ version: number }>;
  };
  const samples: Sample[] = [];
  const failures: string[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: options.clients });
  try {
    for (const k of [1, 2] as const) {
      const folder = await scaleArtifact(path.join(dataDir, 'artifacts', 'scale', `k${k}`), k);
      const { digest, files } = await digestLocal(folder);
      await api('POST', '/api/v1/models/scale/versions', {
        source: folder, digest, files, create_model: true,
        input_example: { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [0, 0, 0, 0] }] },
      });
    }
    await api('PUT', '/api/v1/models/scale/aliases/champion', { version: 1 });
    const deadline = Date.now() + 10_000;
    while ((await post(agent, httpPort).catch(() => ({ status: 0, body: '' }))).status !== 200) {
      if (Date.now() > deadline) throw new Error('version 1 never served');
      await new Promise((r) => setTimeout(r, 20));
    }

    let stop = false;
    const client = async () => {
      while (!stop && samples.length + failures.length < options.maxRequests) {
        const admitted = performance.now();
        try {
          const { status, body } = await post(agent, httpPort);
          const answered = performance.now();
          if (status !== 200) {
            failures.push(`${status} ${body.slice(0, 200)}`);
            continue;
          }
          const parsed = JSON.parse(body) as { model_version: string; outputs: { data: number[] }[] };
          samples.push({ admitted, answered, status, version: parsed.model_version, y0: parsed.outputs[0]!.data[0]! });
        } catch (error) {
          failures.push(`transport: ${(error as Error).message}`);
        }
      }
    };
    const clients = Array.from({ length: options.clients }, client);
    const started = performance.now();
    await new Promise((r) => setTimeout(r, options.steadyMs));
    const steadyEnd = performance.now();
    const moves: { at: number; target: string; firstNew: number }[] = [];
    for (let i = 0; i < options.moves && samples.length + failures.length < options.maxRequests; i++) {
      const target = i % 2 === 0 ? 2 : 1;
      const at = performance.now();
      await api('PUT', '/api/v1/models/scale/aliases/champion', { version: target });
      let firstNew = Number.NaN;
      const waitUntil = performance.now() + 10_000;
      while (performance.now() < waitUntil) {
        const seen = samples.findLast((s) => s.version === String(target) && s.admitted >= at);
        if (seen) {
          firstNew = samples.find((s) => s.version === String(target) && s.admitted >= at)!.answered;
          break;
        }
        await new Promise((r) => setTimeout(r, 2));
      }
      moves.push({ at, target: String(target), firstNew });
      await new Promise((r) => setTimeout(r, options.settleMs));
    }
    stop = true;
    await Promise.all(clients);

    const violations: string[] = [];
    for (const s of samples) {
      const expected = s.version === '1' ? 1 : s.version === '2' ? 2 : Number.NaN;
      if (s.y0 !== expected) violations.push(`version ${s.version} answered y0=${s.y0}`);
    }
    moves.forEach((move, i) => {
      if (Number.isNaN(move.firstNew)) {
        violations.push(`move ${i + 1} to version ${move.target}: no answer from it within 10 s`);
        return;
      }
      const nextMove = moves[i + 1]?.at ?? Number.POSITIVE_INFINITY;
      const stale = samples.filter((s) => s.admitted >= move.firstNew && s.answered <= nextMove && s.version !== move.target);
      if (stale.length) violations.push(`move ${i + 1}: ${stale.length} answers from version ${stale[0]!.version} admitted after version ${move.target} was serving`);
    });
    const latencies = (from: number, to: number) => samples.filter((s) => s.admitted >= from && s.admitted < to).map((s) => s.answered - s.admitted).sort((a, b) => a - b);
    const steady = latencies(started + 200, steadyEnd);
    const swapping = moves.flatMap((m) => latencies(m.at, (Number.isNaN(m.firstNew) ? m.at : m.firstNew) + Math.min(500, options.settleMs))).sort((a, b) => a - b);
    return {
      requests: samples.length + failures.length,
      failures, violations,
      steady: { count: steady.length, p50: percentile(steady, 0.5), p99: percentile(steady, 0.99) },
      swapping: { count: swapping.length, p50: percentile(swapping, 0.5), p99: percentile(swapping, 0.99) },
      firstAnswerMs: moves.map((m) => m.firstNew - m.at),
    };
  } finally {
    agent.destroy();
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(repository, { recursive: true, force: true });
  }
}
