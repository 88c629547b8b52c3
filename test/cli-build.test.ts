import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, scratchRepository } from './helpers/server.ts';
import { simpleRequest } from './helpers/simple-model.ts';

/**
 * `ferry build`: no OCI builder runs here, so the tests read the generated Dockerfile, check the build context
 * against it, and run the image's exact entrypoint and HEALTHCHECK command lines outside a container (the context
 * folder standing for the image's working directory, the project's node_modules for the dependencies stage).
 */
const NODE = path.join(REPO_ROOT, 'node_modules/.bin/node');
const run = promisify(execFile);

interface Dockerfile {
  readonly stages: { from: string; as?: string; lines: string[] }[];
  readonly env: Record<string, string>;
  readonly workdir: string;
  readonly entrypoint: string[];
  readonly healthcheck: string[];
  readonly user: string;
  readonly copies: { from?: string; sources: string[]; target: string }[];
  readonly hasCmd: boolean;
}

/** Reads the instructions this test relies on, joining continued lines. */
function parseDockerfile(text: string): Dockerfile {
  const lines = text.replace(/\\\n\s*/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const stages: Dockerfile['stages'] = [];
  const env: Record<string, string> = {};
  const copies: Dockerfile['copies'] = [];
  let workdir = '/';
  let entrypoint: string[] = [];
  let healthcheck: string[] = [];
  let user = 'root';
  let hasCmd = false;
  for (const line of lines) {
    const [instruction, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    switch (instruction) {
      case 'FROM': {
        const [from, as, name] = rest;
        stages.push({ from: from!, ...(as?.toUpperCase() === 'AS' ? { as: name } : {}), lines: [] });
        break;
      }
      case 'ENV':
        if (stages.length === 2) for (const match of args.matchAll(/(\w+)=(\S+)/g)) env[match[1]!] = match[2]!;
        break;
      case 'WORKDIR':
        if (stages.length === 2) workdir = args;
        break;
      case 'ENTRYPOINT':
        entrypoint = JSON.parse(args) as string[];
        break;
      case 'CMD':
        hasCmd = true;
        break;
      case 'USER':
        user = args;
        break;
      case 'HEALTHCHECK':
        healthcheck = JSON.parse(args.slice(args.indexOf('CMD ') + 4)) as string[];
        break;
      case 'COPY': {
        const from = rest[0]!.startsWith('--from=') ? rest.shift()!.slice('--from='.length) : undefined;
        copies.push({ ...(from ? { from } : {}), sources: rest.slice(0, -1), target: rest.at(-1)! });
        break;
      }
    }
    stages.at(-1)?.lines.push(line);
  }
  return { stages, env, workdir, entrypoint, healthcheck, user, copies, hasCmd };
}

async function ferryBuild(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(NODE, ['bin/ferry.js', 'build', ...args], { cwd: REPO_ROOT });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let work: string;
let repo: Awaited<ReturnType<typeof scratchRepository>>;
let out: string;
let dockerfile: Dockerfile;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'ferry-build-'));
  repo = await scratchRepository(['simple']);
  out = path.join(work, 'image');
  const built = await ferryBuild([repo.root, '--out', out]);
  expect(built.code, built.stderr).toBe(0);
  dockerfile = parseDockerfile(await readFile(path.join(out, 'Dockerfile'), 'utf8'));
}, 60_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
  await repo.remove();
});

/**
 * Runs the image's entrypoint as the container would: in the context folder (its WORKDIR holds models/), with its
 * ENV, `ferry` on PATH. Ports and host are the test's (ephemeral, loopback); everything else is the Dockerfile's.
 */
async function runEntrypoint(context: string): Promise<{ port: number; stop(): Promise<number | null> }> {
  const bin = path.join(context, '.bin');
  await mkdir(bin, { recursive: true });
  const [command, ...args] = dockerfile.entrypoint;
  await symlink(path.join(context, 'ferry', 'bin', 'ferry.js'), path.join(bin, command!));
  if (!existsSync(path.join(context, 'ferry', 'node_modules'))) await symlink(path.join(REPO_ROOT, 'node_modules'), path.join(context, 'ferry', 'node_modules'));
  const env = {
    PATH: `${bin}:${path.dirname(NODE)}:${process.env['PATH']}`,
    ...dockerfile.env,
    FERRY_HOST: '127.0.0.1', FERRY_HTTP_PORT: '0', FERRY_GRPC_PORT: '0',
  };
  const child = spawn(command!, args, { cwd: context, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  let seen = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`entrypoint did not serve: ${seen.slice(-2000)}`)), 30_000);
    child.stderr!.on('data', (c: Buffer) => (seen += c.toString()));
    child.stdout!.on('data', (c: Buffer) => {
      seen += c.toString();
      const line = seen.split('\n').find((l) => l.includes('"msg":"ferry serving"'));
      if (line) {
        clearTimeout(timer);
        resolve(Number((JSON.parse(line) as { http: string }).http.split(':').at(-1)));
      }
    });
  });
  return { port, stop: async () => (child.kill('SIGTERM'), exited) };
}

/** The HEALTHCHECK's exact command line, with the port the container would be told. */
async function healthcheck(port: number): Promise<number> {
  const [command, ...args] = dockerfile.healthcheck;
  return new Promise((resolve) => {
    const child = spawn(command === 'node' ? NODE : command!, args, { env: { ...process.env, FERRY_HTTP_PORT: String(port) }, stdio: 'ignore' });
    child.on('exit', (code) => resolve(code ?? -1));
  });
}

describe('ferry build', () => {
  it('writes a multi-stage Dockerfile: pinned Node.js, production dependencies only, non-root, readiness HEALTHCHECK, plain `ferry serve`', () => {
    const pinned = `node:${process.versions.node}-bookworm-slim`;
    expect(dockerfile.stages.map((s) => s.from)).toEqual([pinned, pinned]);
    expect(process.versions.node).toMatch(/^\d+\.\d+\.\d+$/); // an exact release, not a floating tag
    expect(dockerfile.stages[0]!.as).toBe('dependencies');
    expect(dockerfile.stages[0]!.lines.some((l) => /^RUN npm ci --omit=dev\b/.test(l))).toBe(true);
    expect(dockerfile.copies.filter((c) => c.from === 'dependencies').map((c) => c.sources)).toEqual([['/opt/ferry/node_modules']]);
    expect(dockerfile.user).toMatch(/^[1-9]\d*:[1-9]\d*$/); // numeric and not 0, so runAsNonRoot can verify it
    expect(dockerfile.healthcheck.join(' ')).toContain('/v2/health/ready');
    expect(dockerfile.entrypoint).toEqual(['ferry', 'serve']);
    expect(dockerfile.hasCmd).toBe(false);
    expect(dockerfile.env).toMatchObject({ NODE_ENV: 'production', FERRY_HOST: '0.0.0.0', FERRY_HTTP_PORT: '8080', FERRY_GRPC_PORT: '8081', FERRY_MODEL_REPOSITORY: 'models' });
  });

  it('writes a build context holding every file the Dockerfile copies, and leaves tests and node_modules out', async () => {
    for (const copy of dockerfile.copies.filter((c) => c.from === undefined)) {
      for (const source of copy.sources) expect(existsSync(path.join(out, source)), source).toBe(true);
    }
    expect(await readdir(path.join(out, 'models', 'simple', '1'))).toEqual(['model.onnx']);
    const sources = await readdir(path.join(out, 'ferry', 'src'), { recursive: true });
    expect(sources.some((f) => f.endsWith('server.ts'))).toBe(true);
    expect(sources.filter((f) => /\.(test|case)\.ts$/.test(f))).toEqual([]);
    expect(existsSync(path.join(out, 'ferry', 'node_modules'))).toBe(false);
    const ignored = (await readFile(path.join(out, '.dockerignore'), 'utf8')).split('\n').filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', '**/.git', '**/*.test.ts']));
  });

  it("runs the image's entrypoint outside a container: it serves the models, and the HEALTHCHECK command passes", async () => {
    const server = await runEntrypoint(out);
    try {
      expect(await healthcheck(server.port)).toBe(0);
      const response = await fetch(`http://127.0.0.1:${server.port}/v2/models/simple/infer`, { method: 'POST', body: JSON.stringify(simpleRequest()) });
      expect(response.status).toBe(200);
      expect(((await response.json()) as { model_version: string }).model_version).toBe('1');
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, 60_000);

  it('the HEALTHCHECK fails while a model of the image is broken, and when nothing answers', async () => {
    const broken = await scratchRepository(['simple']);
    const context = path.join(work, 'broken-image');
    try {
      await mkdir(path.join(broken.root, 'bad', '1'), { recursive: true });
      await writeFile(path.join(broken.root, 'bad', '1', 'model.onnx'), 'not onnx');
      expect((await ferryBuild([broken.root, '--out', context])).code).toBe(0);
      const server = await runEntrypoint(context);
      try {
        expect(await healthcheck(server.port)).toBe(1);
      } finally {
        await server.stop();
      }
      expect(await healthcheck(server.port)).toBe(1); // stopped: connection refused
    } finally {
      await broken.remove();
    }
  }, 60_000);

  it('bakes a ferry.yaml in when given one, and refuses an output folder inside the repository or already used', async () => {
    const config = path.join(work, 'ferry.yaml');
    await writeFile(config, 'readiness: {min_ready: 1}\n');
    const withConfig = path.join(work, 'with-config');
    expect((await ferryBuild([repo.root, '--out', withConfig, '--config', config])).code).toBe(0);
    expect(await readFile(path.join(withConfig, 'ferry.yaml'), 'utf8')).toBe('readiness: {min_ready: 1}\n');
    expect(parseDockerfile(await readFile(path.join(withConfig, 'Dockerfile'), 'utf8')).copies.some((c) => c.sources[0] === 'ferry.yaml' && c.target === '/srv/ferry/ferry.yaml')).toBe(true);

    const inside = await ferryBuild([repo.root, '--out', path.join(repo.root, 'image')]);
    expect(inside.code).toBe(1);
    expect(inside.stderr).toMatch(/is inside the model repository/);
    const again = await ferryBuild([repo.root, '--out', out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds .*Dockerfile/);
  }, 60_000);
});
