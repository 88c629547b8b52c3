import { describe, expect, it } from 'vitest';
import { COPY_SLICE_BYTES } from '../../tensor/index.ts';
import { countingTurns } from '../../tensor/test-support/event-loop-turns.ts';
import { encodeMessage } from './codec.ts';
import { encodeInferAnswer } from './encode-sliced.ts';
import type { OutInferResponse } from './messages.ts';

function bytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed) % 256;
  return out;
}

/** An answer with every field set around `raw`, its outputs' contents. */
function answer(raw: Uint8Array[]): OutInferResponse {
  return {
    model_name: 'm', model_version: '3', id: 'req-7',
    parameters: { sequence_end: { bool_param: true }, note: { string_param: 'x' } },
    outputs: raw.map((r, i) => ({ name: `y${i}`, datatype: 'UINT8', shape: [r.length], parameters: { binary_data_size: { int64_param: r.length } } })),
    raw_output_contents: raw,
  };
}

describe('encodeInferAnswer', () => {
  it('gives the bytes protobufjs gives, unary and streamed, for answers below and above the sliced size', async () => {
    for (const raw of [[bytes(100, 1)], [bytes(3 * COPY_SLICE_BYTES + 1, 2), bytes(0, 3), bytes(200_000, 4)], [bytes(1024 * 1024, 5)]]) {
      const message = answer(raw);
      expect((await encodeInferAnswer(message, 2 ** 30)).equals(encodeMessage('ModelInferResponse', message, 2 ** 30))).toBe(true);
      const streamed = encodeMessage('ModelStreamInferResponse', { infer_response: message }, 2 ** 30);
      expect((await encodeInferAnswer(message, 2 ** 30, true)).equals(streamed)).toBe(true);
    }
    const bare: OutInferResponse = { model_name: 'm', model_version: '', outputs: [{ name: 'y', datatype: 'FP32', shape: [2 ** 19] }], raw_output_contents: [bytes(2 ** 21, 6)] };
    expect((await encodeInferAnswer(bare, 2 ** 30)).equals(encodeMessage('ModelInferResponse', bare, 2 ** 30))).toBe(true);
  });

  it('copies a large answer a slice at a time, with turns of the event loop between slices', async () => {
    const message = answer([bytes(4 * COPY_SLICE_BYTES, 8)]);
    const { result, turns } = await countingTurns(() => encodeInferAnswer(message, 2 ** 30));
    expect(result.length).toBeGreaterThan(4 * COPY_SLICE_BYTES);
    expect(turns).toBeGreaterThanOrEqual(4);
  });

  it('refuses an answer past the message limit with the error encodeMessage gives', async () => {
    const message = answer([bytes(2 * 1024 * 1024, 9)]);
    const size = encodeMessage('ModelInferResponse', message, 2 ** 30).length;
    const refusal = (() => {
      try {
        encodeMessage('ModelInferResponse', message, size - 1);
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(refusal).toMatchObject({ code: 'FERRY_ERR_RESPONSE_TOO_LARGE' });
    await expect(encodeInferAnswer(message, size - 1)).rejects.toMatchObject({ code: 'FERRY_ERR_RESPONSE_TOO_LARGE', message: (refusal as Error).message });
    expect((await encodeInferAnswer(message, size)).length).toBe(size);
  });
});
