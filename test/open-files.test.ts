import { cp } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startFerryProcess } from './helpers/ferry-process.ts';
import { EXAMPLE_MODELS, scratchRepository } from './helpers/server.ts';

function softLimit(pid: number): number {
  return Number(/^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))![1]);
}

function openIdle(port: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', () => resolve(undefined));
    socket.resume();
  });
}

describe('open files: the soft limit is raised where allowed, and connections stop short of it', () => {
  it('raises the soft limit to the hard one at start (prlimit --nofile=256:4096)', async () => {
    const ferry = await startFerryProcess({ wrapper: ['prlimit', '--nofile=256:4096'] });
    try {
      expect(softLimit(ferry.pid)).toBe(4096);
      expect(ferry.output()).toMatch(/"soft":4096,"hard":4096,"before":\d+,"max_connections":3968/);
    } finally {
      await ferry.stop();
    }
  }, 60_000);

  it('with 256 files and 600 idle sockets, health checks answer and the repository poll still loads a new model', async () => {
    const repository = await scratchRepository(['simple']);
    const ferry = await startFerryProcess({ wrapper: ['prlimit', '--nofile=256:256'], repository: repository.root, args: ['--poll-seconds', '1'] });
    const sockets: Socket[] = [];
    try {
      expect(ferry.output()).toMatch(/"soft":256,"hard":256,"before":256,"max_connections":128/);
      for (let i = 0; i < 600; i++) {
        const socket = await openIdle(ferry.httpPort);
        if (socket) sockets.push(socket);
      }
      for (let i = 0; i < 5; i++) {
        const live = await fetch(`${ferry.url}/v2/health/live`, { signal: AbortSignal.timeout(10_000) });
        expect(live.status).toBe(200);
        await live.arrayBuffer();
      }
      // The server opens files while the sockets are held: a model added to the repository is found and loaded.
      await cp(path.join(EXAMPLE_MODELS, 'half_plus_two'), path.join(repository.root, 'half_plus_two'), { recursive: true });
      let ready = 0;
      for (const deadline = Date.now() + 30_000; Date.now() < deadline && ready !== 200;) {
        const answer = await fetch(`${ferry.url}/v2/models/half_plus_two/ready`, { signal: AbortSignal.timeout(10_000) });
        ready = answer.status;
        await answer.arrayBuffer();
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(ready).toBe(200);
      expect(ferry.output()).not.toMatch(/EMFILE/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await ferry.stop();
      await repository.remove();
    }
  }, 120_000);
});
