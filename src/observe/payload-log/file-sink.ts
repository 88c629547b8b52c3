import { appendFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CloudEvent } from 'cloudevents';
import type { PayloadSink } from './sink.ts';

export interface FileSinkOptions {
  readonly path: string;
  /** The file is rotated before a write would take it past this size. */
  readonly maxBytes: number;
  /** Rotated files kept beside it: PATH.1 (newest) … PATH.N; older ones are deleted. */
  readonly maxFiles: number;
}

/** CloudEvents as JSON Lines (one structured-mode event per line) in a file rotated by size. */
export function fileSink(options: FileSinkOptions): PayloadSink {
  let size: number | undefined;
  const rotate = async () => {
    await rm(`${options.path}.${options.maxFiles}`, { force: true });
    for (let n = options.maxFiles - 1; n >= 1; n--) {
      await rename(`${options.path}.${n}`, `${options.path}.${n + 1}`).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    }
    if (options.maxFiles > 0) await rename(options.path, `${options.path}.1`);
    else await rm(options.path, { force: true });
    size = 0;
  };
  return {
    name: 'file',
    async send(events: readonly CloudEvent<unknown>[]) {
      if (size === undefined) {
        await mkdir(path.dirname(options.path), { recursive: true });
        size = await stat(options.path).then((s) => s.size, () => 0);
      }
      const text = events.map((event) => JSON.stringify(event)).join('\n') + '\n';
      const bytes = Buffer.byteLength(text);
      if (size > 0 && size + bytes > options.maxBytes) await rotate();
      await appendFile(options.path, text);
      size += bytes;
    },
    async close() {},
  };
}
