// What a newcomer does first, from a fresh clone: README's `npm ci && npm start` and its curl request, then the
// getting-started guide's steps 1-4 (install, train and export, validate, serve and ask). The commands and the
// outputs compared are read from the documents' code blocks marked `newcomer` (test/helpers/doc-commands.ts), so the
// documents and this test cannot drift apart. Step 5 (train_v2.py is not shown in full) and step 6 (settings) are
// not run. Ports 8080/8081 become free ports; pip runs without an index (PIP_NO_INDEX) and npm from its cache
// when it can (npm_config_prefer_offline); `python3` is Debian's, which has scikit-learn and xgboost.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docSteps, sameOutput, type DocStep } from './helpers/doc-commands.ts';
import { freePorts } from './helpers/ports.ts';
import { processesIn, stopAll, tracked } from './helpers/processes.ts';
import { REPO_ROOT } from './helpers/server.ts';

const PYTHON = process.env['FERRY_TEST_PYTHON'] ?? '/usr/bin/python3';
const STEP_TIMEOUT_MS = 240_000;

let scratch: string;
let clone: string;
let env: NodeJS.ProcessEnv;
let ports: { http: number; grpc: number };

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'ferry-newcomer-'));
  // `python3` on the reader's PATH is one with scikit-learn and xgboost.
  const bin = path.join(scratch, 'bin');
  mkdirSync(bin);
  symlinkSync(PYTHON, path.join(bin, 'python3'));
  // Named before the server starts (the guide's commands carry them), and unbound until then: git clone and npm ci.
  const [http, grpc] = await freePorts(2);
  ports = { http: http!, grpc: grpc! };
  // A reader's shell: none of this run's npm, vitest or FERRY_* variables.
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(npm_|FERRY_|VITEST|NODE_OPTIONS$|INIT_CWD$)/.test(key)));
  env = {
    ...clean, PATH: `${bin}:${process.env['PATH']}`, PIP_NO_INDEX: '1', PIP_NO_BUILD_ISOLATION: '0', PYTHONWARNINGS: 'ignore',
    npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false',
    FERRY_HTTP_PORT: String(ports.http), FERRY_GRPC_PORT: String(ports.grpc),
  };
});

afterAll(async () => {
  await stopAll();
  for (const pid of clone === undefined ? [] : processesIn(clone)) process.kill(pid, 'SIGKILL');
  await rm(scratch, { recursive: true, force: true });
}, 60_000);

describe('a newcomer, from a fresh clone', () => {
  it('runs README\'s quick start and the getting-started guide\'s steps 1-4 with the outputs they show', async () => {
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    expect(readme, 'README\'s quick start').toMatch(/^npm ci && npm start\s/m);
    const guide = docSteps(readFileSync(path.join(REPO_ROOT, 'docs/getting-started.md'), 'utf8'));
    const install = guide.slice(0, 3).map((s) => (s.kind === 'run' ? s.command : s.name));
    expect(install, 'the guide installs as README does').toEqual(['git clone <ferry repository> ferry && cd ferry', 'npm ci', 'npm start']);

    // git clone <ferry repository> ferry && cd ferry
    clone = path.join(scratch, 'ferry');
    await run(`git clone --quiet ${REPO_ROOT} ${clone}`, scratch);
    const started = Date.now();
    await run('npm ci', clone);
    const npmCiSeconds = (Date.now() - started) / 1000;
    // npm start, then README's request against it.
    const npmStart = await startServer('npm start', clone);
    const [ask] = docSteps(readme);
    expect(ask?.kind).toBe('run');
    await expectOutput(ask as Extract<DocStep, { kind: 'run' }>, clone);
    await stopServer(npmStart);
    expect(processesIn(clone), 'npm start left no process behind').toEqual([]);

    let server: ChildProcess | undefined;
    const covered: string[] = [];
    for (const step of guide.slice(3)) {
      if (step.kind === 'file') {
        writeFileSync(path.join(clone, step.name), step.content);
      } else if (/^(npm start|npx ferry serve)\b/.test(step.command)) {
        server = await startServer(step.command, clone);
      } else if (step.expected === undefined) {
        await run(step.command, clone);
      } else {
        await expectOutput(step, clone);
      }
      covered.push(step.kind === 'file' ? `write ${step.name}` : step.command.slice(0, 60));
    }
    expect(server, 'the guide starts a server').toBeDefined();
    await stopServer(server!);
    expect(processesIn(clone), 'no process left in the clone').toEqual([]);
    expect(covered.length).toBeGreaterThanOrEqual(10);
    console.log(`newcomer: npm ci took ${npmCiSeconds.toFixed(0)} s; ran ${covered.length} guide steps`);
  }, 900_000);
});

/** Runs `command` in a shell in `cwd` (ports 8080/8081 made this run's); resolves with stdout, rejects on failure. */
async function run(command: string, cwd: string): Promise<string> {
  const child = tracked(spawn('sh', ['-c', withPorts(command)], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }));
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), STEP_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`\`${command}\` exited ${code}:\n${stdout.slice(-2000)}\n${stderr.slice(-3000)}`);
  return stdout;
}

async function expectOutput(step: Extract<DocStep, { kind: 'run' }>, cwd: string): Promise<void> {
  const actual = await run(step.command, cwd);
  expect(sameOutput(actual, step.expected ?? ''), `\`${step.command}\` printed:\n${actual}\nthe document shows:\n${step.expected}`).toBe(true);
}

/** Starts a server command in its own process group and waits until it is ready. */
async function startServer(command: string, cwd: string): Promise<ChildProcess> {
  const child = tracked(spawn('sh', ['-c', `exec ${withPorts(command)}`], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true }));
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`\`${command}\` exited ${child.exitCode}: ${output.slice(-3000)}`);
    const ready = await fetch(`http://127.0.0.1:${ports.http}/v2/health/ready`).then((r) => r.status === 200, () => false);
    if (ready) return child;
    if (Date.now() > deadline) throw new Error(`\`${command}\` was not ready within 120 s: ${output.slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** SIGTERM as a process manager sends it, then SIGKILL to the whole group if it has not exited within 20 s. */
async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const force = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 20_000);
  await exited;
  clearTimeout(force);
  // Whatever the server started goes within its own shutdown bound.
  const deadline = Date.now() + 10_000;
  while (processesIn(clone).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
}

function withPorts(command: string): string {
  return command.replaceAll('8080', String(ports.http)).replaceAll('8081', String(ports.grpc));
}

