import type { ServerDuplexStream } from '@grpc/grpc-js';
import { asFerryError } from '../../errors/index.ts';
import { decodeMessage, encodeMessage } from './codec.ts';
import type { OutInferResponse, WireInferRequest } from './messages.ts';

/** Requests of one stream that may run at once; past this the stream stops reading until answers go out. */
const MAX_IN_FLIGHT = 128;

/**
 * ModelStreamInfer: every request on the stream runs as soon as it arrives (so the scheduler can merge them),
 * and its answer is written in request order. A failed request answers with error_message and leaves the
 * stream open; the stream ends once the client has half-closed and every answer is written.
 */
export function streamInfer(
  call: ServerDuplexStream<Buffer, Buffer>,
  limit: number,
  infer: (wire: WireInferRequest, signal: AbortSignal) => Promise<OutInferResponse>,
): void {
  const controller = new AbortController();
  let written: Promise<void> = Promise.resolve();
  let inFlight = 0;
  let paused = false;

  let finished = false;
  // grpc-js also reports a stream it finished normally as 'cancelled': only an early cancel aborts work.
  call.on('cancelled', () => {
    if (!finished) controller.abort();
  });
  call.on('error', () => controller.abort());

  call.on('data', (bytes: Buffer) => {
    inFlight += 1;
    if (inFlight >= MAX_IN_FLIGHT && !paused) {
      paused = true;
      call.pause();
    }
    const answer = answerOne(bytes, limit, infer, controller.signal);
    written = written.then(async () => {
      const message = await answer;
      try {
        if (!controller.signal.aborted) call.write(message);
      } catch {
        controller.abort(); // the stream broke under us: stop answering
      }
      inFlight -= 1;
      if (paused && inFlight < MAX_IN_FLIGHT / 2) {
        paused = false;
        call.resume();
      }
    });
  });

  call.on('end', () => {
    void written.then(() => {
      if (controller.signal.aborted) return;
      finished = true;
      call.end();
    });
  });
}

/** The encoded ModelStreamInferResponse for one request; never rejects. */
async function answerOne(
  bytes: Buffer,
  limit: number,
  infer: (wire: WireInferRequest, signal: AbortSignal) => Promise<OutInferResponse>,
  signal: AbortSignal,
): Promise<Buffer> {
  let wire: WireInferRequest | undefined;
  try {
    wire = decodeMessage<WireInferRequest>('ModelInferRequest', bytes, limit);
    const response = await infer(wire, signal);
    return encodeMessage('ModelStreamInferResponse', { infer_response: response }, limit);
  } catch (error) {
    const failure = asFerryError(error);
    // The echo of model name and id lets a client match the error to its request.
    const echo = wire ? { model_name: wire.model_name, model_version: wire.model_version, id: wire.id } : undefined;
    return encodeMessage('ModelStreamInferResponse', { error_message: failure.message, ...(echo ? { infer_response: echo } : {}) }, Number.MAX_SAFE_INTEGER);
  }
}
