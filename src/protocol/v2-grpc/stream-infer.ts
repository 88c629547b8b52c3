import type { ServerDuplexStream } from '@grpc/grpc-js';
import { asFerryError } from '../../errors/index.ts';
import { decodeMessage, encodeMessage } from './codec.ts';
import type { OutInferResponse, WireInferRequest } from './messages.ts';
import { encodeInferAnswer } from './encode-sliced.ts';

/** Requests of one stream that may run at once; past this the stream stops reading until answers go out. */
const MAX_IN_FLIGHT = 128;

/**
 * ModelStreamInfer: every request on the stream runs as soon as it arrives (so the scheduler can merge them),
 * and its answer is written in request order. A failed request answers with error_message and leaves the
 * stream open; the stream ends once the client has half-closed and every answer is written.
 */
export function streamInfer<Request>(
  call: ServerDuplexStream<Buffer, Buffer>,
  limit: number,
  decode: (bytes: Buffer) => StreamedRequest<Request> | Promise<StreamedRequest<Request>>,
  infer: (request: Request, signal: AbortSignal) => Promise<OutInferResponse>,
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
    const answer = answerOne(bytes, limit, decode, infer, controller.signal);
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

/**
 * A request read off the stream: what `infer` takes (the message, or for a large one what a decode thread made of
 * it) and the fields of the message that an error's answer echoes.
 */
export interface StreamedRequest<Request> {
  readonly request: Request;
  readonly echo: Pick<WireInferRequest, 'model_name' | 'model_version' | 'id'>;
}

/** The message decoded here, as decode() for a message too small to decode elsewhere. */
export function decodeHere(bytes: Buffer, limit: number): StreamedRequest<WireInferRequest> {
  const wire = decodeMessage<WireInferRequest>('ModelInferRequest', bytes, limit);
  return { request: wire, echo: wire };
}

/** The encoded ModelStreamInferResponse for one request; never rejects. */
async function answerOne<Request>(
  bytes: Buffer,
  limit: number,
  decode: (bytes: Buffer) => StreamedRequest<Request> | Promise<StreamedRequest<Request>>,
  infer: (request: Request, signal: AbortSignal) => Promise<OutInferResponse>,
  signal: AbortSignal,
): Promise<Buffer> {
  let echo: StreamedRequest<Request>['echo'] | undefined;
  try {
    const decoded = await decode(bytes);
    echo = decoded.echo;
    const response = await infer(decoded.request, signal);
    return await encodeInferAnswer(response, limit, true);
  } catch (error) {
    const failure = asFerryError(error);
    // The echo of model name and id lets a client match the error to its request.
    const infer_response = echo ? { model_name: echo.model_name, model_version: echo.model_version, id: echo.id } : undefined;
    return encodeMessage('ModelStreamInferResponse', { error_message: failure.message, ...(infer_response ? { infer_response } : {}) }, Number.MAX_SAFE_INTEGER);
  }
}
