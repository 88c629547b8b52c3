/**
 * `npx node bench/against-revision.ts REV`: V2 REST requests/s of this tree against another git revision of Ferry
 * (e.g. the commit before a change to the request path), on the same load in interleaved slices of one run, and
 * their ratio. REV is exported with `git archive` into a temporary folder and run with this tree's node_modules,
 * so the revision must not need other dependencies. Not part of `npm run bench`: it needs the git history.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { measureInterleaved } from './lib/interleave.ts';
import { formatLoad, loadGenerator } from './lib/load.ts';
import { REPO_ROOT } from './lib/processes.ts';
import { SIMPLE_BODY } from './v2-rest-vs-fastify.ts';

const rev = process.argv[2];
if (!rev) throw new Error('usage: npx node bench/against-revision.ts REV');
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 12);
const ROUNDS = 4;

async function serve(dir: string): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, ['bin/ferry.js', 'serve', 'examples/models', '--http-port', '0', '--grpc-port', '0', '--poll-seconds', '0'], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`ferry in ${dir} did not start`)), 120_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const line = seen.split('\n').find((l) => l.includes('"msg":"ferry serving"'));
      if (!line) return;
      clearTimeout(timer);
      child.stdout!.removeAllListeners('data');
      child.stdout!.resume();
      resolve(`http://${(JSON.parse(line) as { http: string }).http}`);
    });
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

const dir = await mkdtemp(path.join(tmpdir(), 'ferry-revision-'));
try {
  execFileSync('sh', ['-c', `git -C "${REPO_ROOT}" archive "${rev}" | tar -x -C "${dir}"`]);
  await symlink(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  const other = await serve(dir);
  const here = await serve(REPO_ROOT);
  try {
    const generator = loadGenerator();
    const slice = Math.max(1, Math.round(SECONDS / ROUNDS));
    const [revResult, hereResult] = await measureInterleaved(
      [{ label: rev, url: `${other.url}/v2/models/simple/infer` }, { label: 'this tree', url: `${here.url}/v2/models/simple/infer` }],
      { body: SIMPLE_BODY, connections: 64, seconds: slice, rounds: ROUNDS, generator },
    );
    console.log(`## V2 REST JSON infer, simple, batch 1, 64 connections, ${generator}, ${ROUNDS} x ${slice} s slices each, interleaved`);
    console.log(formatLoad(`revision ${rev}`, revResult!));
    console.log(formatLoad('this tree', hereResult!));
    console.log(`ratio this tree / ${rev}: ${(hereResult!.requestsPerSecond / revResult!.requestsPerSecond).toFixed(2)}`);
  } finally {
    other.stop();
    here.stop();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
