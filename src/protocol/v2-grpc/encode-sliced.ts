import protobuf from 'protobufjs';
import { ferryError } from '../../errors/index.ts';
import { joinInSlices } from '../../tensor/index.ts';
import { MESSAGE_LIMIT_SETTING, encodeMessage } from './codec.ts';
import type { OutInferResponse } from './messages.ts';
import { TYPES } from './schema.ts';

/** Raw output bytes from which an answer is joined in slices; below, protobufjs encodes it in one short step. */
const SLICED_MIN_BYTES = 1024 * 1024;
/** Field keys (number << 3 | wire type 2, length-delimited): raw_output_contents = 6, infer_response = 2. */
const RAW_OUTPUT_KEY = (6 << 3) | 2;
const INFER_RESPONSE_KEY = (2 << 3) | 2;

/**
 * The bytes of a ModelInferResponse, or with `streamed` of the ModelStreamInferResponse carrying it, as protobufjs
 * would encode them, without one step as long as the answer: protobufjs writes a message in field-number order,
 * and raw_output_contents (field 6) is the last field, so the message is the small rest encoded by protobufjs
 * followed by each raw entry's key, length and bytes, which are copied into place a slice at a time with turns of
 * the event loop between slices.
 */
export async function encodeInferAnswer(message: OutInferResponse, limit: number, streamed = false): Promise<Buffer> {
  const raw = message.raw_output_contents ?? [];
  const rawBytes = raw.reduce((sum, bytes) => sum + bytes.byteLength, 0);
  if (rawBytes < SLICED_MIN_BYTES) {
    return streamed ? encodeMessage('ModelStreamInferResponse', { infer_response: message }, limit) : encodeMessage('ModelInferResponse', message, limit);
  }
  const pieces: Uint8Array[] = [TYPES.ModelInferResponse.encode({ ...message, raw_output_contents: [] }).finish()];
  for (const bytes of raw) pieces.push(protobuf.Writer.create().uint32(RAW_OUTPUT_KEY).uint32(bytes.byteLength).finish(), bytes);
  const inner = pieces.reduce((sum, piece) => sum + piece.byteLength, 0);
  if (streamed) pieces.unshift(protobuf.Writer.create().uint32(INFER_RESPONSE_KEY).uint32(inner).finish());
  const size = streamed ? inner + pieces[0]!.byteLength : inner;
  if (size > limit) throw ferryError('FERRY_ERR_RESPONSE_TOO_LARGE', { size, limit, setting: MESSAGE_LIMIT_SETTING });
  return joinInSlices(pieces, size);
}
