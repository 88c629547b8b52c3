/**
 * A decode thread: decodes request bodies too large to decode on the event loop and sends each decoded request
 * back with its buffers transferred. A catalogue error crosses as its code and parameters.
 */
import { parentPort } from 'node:worker_threads';
import { isFerryError } from '../../errors/index.ts';
import { DECODERS, type DecodeKind } from './decode-jobs.ts';
import type { DecodeReply, DecodeTask } from './messages.ts';
import { packRequest } from './transfer.ts';

parentPort!.on('message', (task: DecodeTask) => {
  let reply: DecodeReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const body = Buffer.from(task.body.buffer, task.body.byteOffset, task.body.byteLength);
    const decode = DECODERS[task.kind] as (body: Buffer, args: unknown) => { request?: Parameters<typeof packRequest>[0] };
    const result = decode(body, task.args);
    if (result.request === undefined) reply = { id: task.id, result };
    else {
      const packed = packRequest(result.request);
      transfer = packed.transfer;
      reply = { id: task.id, result: { ...result, request: packed.wire } };
    }
  } catch (error) {
    reply = isFerryError(error)
      ? { id: task.id, ferry: { code: error.code, params: error.params } }
      : { id: task.id, failure: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
  parentPort!.postMessage(reply, transfer);
});

export type { DecodeKind };
