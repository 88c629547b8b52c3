import { ferryError } from '../errors/index.ts';
import {
  decodeRawData, encodeRawData, isDatatype, rawByteLength, type Datatype, type Parameters, type Tensor,
} from '../tensor/index.ts';
import type { CachedResult } from './types.ts';

/**
 * Binary form of a cached result: "FRC1", u32 LE header length, a JSON header (parameters; per output its name,
 * datatype, shape, parameters and byte length), then each output's raw bytes (the tensor raw codec), each
 * starting on an 8-byte boundary so numeric outputs decode as views without copying.
 */
const MAGIC = 0x31435246; // "FRC1" little-endian
const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

interface OutputHeader {
  readonly n: string;
  readonly d: Datatype;
  readonly s: readonly number[];
  readonly p?: Parameters;
  readonly b: number;
}

interface Header {
  readonly p?: Parameters;
  readonly o: readonly OutputHeader[];
}

const align8 = (n: number): number => (n + 7) & ~7;

export function encodeResult(result: CachedResult): Uint8Array {
  const outputs: OutputHeader[] = result.outputs.map((t) => ({
    n: t.name, d: t.datatype, s: t.shape, b: rawByteLength(t.datatype, t.data), ...(t.parameters === undefined ? {} : { p: t.parameters }),
  }));
  const header = utf8.encode(JSON.stringify(result.parameters === undefined ? { o: outputs } : { p: result.parameters, o: outputs }));
  let total = align8(8 + header.byteLength);
  for (const output of outputs) total += align8(output.b);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, header.byteLength, true);
  out.set(header, 8);
  let offset = align8(8 + header.byteLength);
  result.outputs.forEach((tensor, i) => {
    out.set(encodeRawData(tensor.datatype, tensor.data), offset);
    offset += align8(outputs[i]!.b);
  });
  return out;
}

/** Inverse of encodeResult; a value that is not one (corrupt, foreign, truncated) throws FERRY_ERR_INTERNAL. */
export function decodeResult(bytes: Uint8Array): CachedResult {
  const corrupt = (detail: string) => ferryError('FERRY_ERR_INTERNAL', { detail: `cached result: ${detail}` });
  if (bytes.byteLength < 8) throw corrupt('too short');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw corrupt('unknown format');
  const headerLength = view.getUint32(4, true);
  if (8 + headerLength > bytes.byteLength) throw corrupt('header past the end');
  let header: Header;
  try {
    header = JSON.parse(utf8Decoder.decode(bytes.subarray(8, 8 + headerLength))) as Header;
  } catch {
    throw corrupt('header is not JSON');
  }
  if (!Array.isArray(header?.o)) throw corrupt('header has no outputs');
  let offset = align8(8 + headerLength);
  const outputs: Tensor[] = header.o.map((o) => {
    if (!isDatatype(o.d) || !Array.isArray(o.s) || !Number.isInteger(o.b) || o.b < 0 || offset + o.b > bytes.byteLength) {
      throw corrupt(`output '${String(o.n)}' is malformed`);
    }
    const data = decodeRawData(o.n, o.d, o.s, bytes.subarray(offset, offset + o.b));
    offset += align8(o.b);
    return o.p === undefined ? { name: o.n, datatype: o.d, shape: o.s, data } : { name: o.n, datatype: o.d, shape: o.s, data, parameters: o.p };
  });
  return header.p === undefined ? { outputs } : { outputs, parameters: header.p };
}
