import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, loadConfig } from '../src/index.ts';
import { builtinRuntimes } from '../src/runtimes/builtin.ts';
import type { Runtime } from '../src/runtimes/runtime.ts';
import { freePorts } from './helpers/ports.ts';
import { scratchRepository } from './helpers/server.ts';
import { simpleRequest } from './helpers/simple-model.ts';

/** The real runtimes, with every load held until `release()`: a repository that takes as long to load as we like. */
function heldRuntimes(): { runtimes: Runtime[]; release(): void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const runtimes = builtinRuntimes().map((runtime): Runtime => ({
    name: runtime.name,
    canLoad: (dir) => runtime.canLoad(dir),
    load: async (spec, ctx) => {
      await gate;
      return runtime.load(spec, ctx);
    },
  }));
  return { runtimes, release };
}

describe('the server listens before the first repository scan has finished', () => {
  let repository: Awaited<ReturnType<typeof scratchRepository>>;
  let dataDir: string;
  beforeAll(async () => {
    repository = await scratchRepository(['simple']);
    dataDir = await mkdtemp(path.join(tmpdir(), 'ferry-data-'));
  });
  afterAll(async () => {
    await repository?.remove();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers live 200, startup 503 and ready 503 while models load, then ready 200 and infers', async () => {
    const port = (await freePorts(1))[0]!;
    const config = loadConfig({
      env: {},
      overrides: { model_repository: repository.root, data_dir: dataDir, poll_seconds: 0, log_level: 'silent', http: { port }, grpc: { port: 0 } },
    });
    const held = heldRuntimes();
    const server = createServer({ config, runtimes: held.runtimes });
    const started = server.start();
    try {
      const url = `http://127.0.0.1:${port}`;
      let live: Response | undefined;
      for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
        live = await fetch(`${url}/v2/health/live`).catch(() => undefined);
        if (live !== undefined) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(live?.status, 'liveness while the repository loads').toBe(200);
      const startup = await fetch(`${url}/v2/health/startup`);
      expect(startup.status).toBe(503);
      expect(await startup.json()).toEqual({ started: false });
      expect((await fetch(`${url}/v2/health/ready`)).status).toBe(503);
      held.release();
      expect((await started).httpPort).toBe(port);
      expect((await fetch(`${url}/v2/health/startup`)).status).toBe(200);
      expect((await fetch(`${url}/v2/health/ready`)).status).toBe(200);
      const answer = await fetch(`${url}/v2/models/simple/infer`, { method: 'POST', body: JSON.stringify(simpleRequest()) });
      expect(answer.status).toBe(200);
    } finally {
      held.release();
      await started.catch(() => undefined);
      await server.stop();
    }
  }, 60_000);
});
