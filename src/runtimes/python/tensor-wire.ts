import { ferryError } from '../../errors/index.ts';
import { decodeRawData, encodeRawData, isDatatype, type Tensor } from '../../tensor/index.ts';

/**
 * Tensor bodies of PREDICT and RESULT frames: u32 LE length of a JSON header `[{name, datatype, shape, nbytes}]`,
 * padding to 8 bytes, then each tensor's raw little-endian bytes (BYTES: u32 LE length-prefixed elements), each
 * padded to 8 so that the reader can view numeric data in place. Values never travel as JSON numbers.
 */
interface WireTensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: number[];
  readonly nbytes: number;
}

const PAD = Buffer.alloc(8);
const pad = (size: number) => (8 - (size % 8)) % 8;

/** Body parts (to be written in order) and their total size. */
export function encodeTensors(tensors: readonly Tensor[]): { parts: Uint8Array[]; bytes: number } {
  const raws = tensors.map((t) => encodeRawData(t.datatype, t.data));
  const header = Buffer.from(JSON.stringify(tensors.map((t, i): WireTensor => ({ name: t.name, datatype: t.datatype, shape: [...t.shape], nbytes: raws[i]!.byteLength }))));
  const length = Buffer.allocUnsafe(4);
  length.writeUInt32LE(header.length, 0);
  const parts: Uint8Array[] = [length, header, PAD.subarray(0, pad(4 + header.length))];
  for (const raw of raws) parts.push(raw, PAD.subarray(0, pad(raw.byteLength)));
  return { parts, bytes: parts.reduce((sum, p) => sum + p.byteLength, 0) };
}

/** Tensors from a body the worker wrote; `model` names the model in the error for a malformed body. */
export function decodeTensors(model: string, body: Buffer): Tensor[] {
  const malformed = (detail: string) => ferryError('FERRY_ERR_EXECUTION_FAILED', { model, detail: `the worker sent a malformed result: ${detail}` });
  if (body.length < 4) throw malformed('no header');
  const headerBytes = body.readUInt32LE(0);
  let header: WireTensor[];
  try {
    header = JSON.parse(body.toString('utf8', 4, 4 + headerBytes)) as WireTensor[];
  } catch {
    throw malformed('unreadable header');
  }
  let offset = 4 + headerBytes;
  offset += pad(offset);
  return header.map((spec) => {
    if (!isDatatype(spec.datatype)) throw malformed(`unknown datatype ${String(spec.datatype)}`);
    if (offset + spec.nbytes > body.length) throw malformed(`tensor '${spec.name}' runs past the end`);
    const data = decodeRawData(spec.name, spec.datatype, spec.shape, body.subarray(offset, offset + spec.nbytes));
    offset += spec.nbytes + pad(spec.nbytes);
    return { name: spec.name, datatype: spec.datatype, shape: spec.shape, data };
  });
}

/**
 * The body of a PREDICT_BATCH frame (and of its answer): u32 LE count, 4 bytes of padding, then per request a u32
 * LE byte length, 4 bytes of padding and that request's tensor body (as encodeTensors), padded to 8.
 */
export function encodeTensorList(requests: readonly (readonly Tensor[])[]): { parts: Uint8Array[]; bytes: number } {
  const count = Buffer.alloc(8);
  count.writeUInt32LE(requests.length, 0);
  const parts: Uint8Array[] = [count];
  for (const tensors of requests) {
    const body = encodeTensors(tensors);
    const length = Buffer.alloc(8);
    length.writeUInt32LE(body.bytes, 0);
    parts.push(length, ...body.parts, PAD.subarray(0, pad(body.bytes)));
  }
  return { parts, bytes: parts.reduce((sum, p) => sum + p.byteLength, 0) };
}

/** Per-request tensors from a body in encodeTensorList's layout. */
export function decodeTensorList(model: string, body: Buffer): Tensor[][] {
  const malformed = (detail: string) => ferryError('FERRY_ERR_EXECUTION_FAILED', { model, detail: `the worker sent a malformed result: ${detail}` });
  if (body.length < 8) throw malformed('no count');
  const count = body.readUInt32LE(0);
  const lists: Tensor[][] = [];
  let offset = 8;
  for (let i = 0; i < count; i++) {
    if (offset + 8 > body.length) throw malformed(`result ${i} runs past the end`);
    const bytes = body.readUInt32LE(offset);
    offset += 8;
    if (offset + bytes > body.length) throw malformed(`result ${i} runs past the end`);
    lists.push(decodeTensors(model, body.subarray(offset, offset + bytes)));
    offset += bytes + pad(bytes);
  }
  return lists;
}
