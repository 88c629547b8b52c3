import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CloudEvent } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import { fileSink } from './file-sink.ts';
import { runSinkConformance } from './sink.case.ts';

const readLines = async (file: string) => (await readFile(file, 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);

runSinkConformance({
  name: 'file',
  async create() {
    const dir = await mkdtemp(path.join(tmpdir(), 'ferry-payload-file-'));
    const file = path.join(dir, 'nested', 'payloads.jsonl');
    return {
      sink: fileSink({ path: file, maxBytes: 64 * 1024 * 1024, maxFiles: 2 }),
      read: () => readLines(file),
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  },
});

describe('file sink rotation', () => {
  const line = (n: number) => new CloudEvent({ id: String(n).padStart(4, '0'), type: 't', source: '/s', data: { n } }, false);

  it('rotates before a write would pass max_bytes (a write that reaches it exactly stays), keeping max_files old files', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ferry-payload-rotate-'));
    try {
      const file = path.join(dir, 'p.jsonl');
      const lineBytes = Buffer.byteLength(JSON.stringify(line(1)) + '\n');
      const sink = fileSink({ path: file, maxBytes: 3 * lineBytes, maxFiles: 2 });
      for (let n = 1; n <= 3; n++) await sink.send([line(n)]);
      expect((await stat(file)).size).toBe(3 * lineBytes); // exactly the limit: no rotation yet
      await sink.send([line(4)]); // one line more than the limit: rotated first
      expect((await readLines(file)).map((e) => e['id'])).toEqual(['0004']);
      expect((await readLines(`${file}.1`)).map((e) => e['id'])).toEqual(['0001', '0002', '0003']);
      for (let n = 5; n <= 10; n++) await sink.send([line(n)]);
      // 10 lines at 3 per file: p.jsonl has 10, .1 has 7-9, .2 has 4-6, and 1-3 were deleted with the third rotation.
      expect((await readdir(dir)).sort()).toEqual(['p.jsonl', 'p.jsonl.1', 'p.jsonl.2']);
      expect((await readLines(file)).map((e) => e['id'])).toEqual(['0010']);
      expect((await readLines(`${file}.1`)).map((e) => e['id'])).toEqual(['0007', '0008', '0009']);
      expect((await readLines(`${file}.2`)).map((e) => e['id'])).toEqual(['0004', '0005', '0006']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('appends to a file left by an earlier run and counts its size', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ferry-payload-append-'));
    try {
      const file = path.join(dir, 'p.jsonl');
      const lineBytes = Buffer.byteLength(JSON.stringify(line(1)) + '\n');
      await fileSink({ path: file, maxBytes: 2 * lineBytes, maxFiles: 1 }).send([line(1)]);
      const again = fileSink({ path: file, maxBytes: 2 * lineBytes, maxFiles: 1 });
      await again.send([line(2)]);
      await again.send([line(3)]);
      expect((await readLines(`${file}.1`)).map((e) => e['id'])).toEqual(['0001', '0002']);
      expect((await readLines(file)).map((e) => e['id'])).toEqual(['0003']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
