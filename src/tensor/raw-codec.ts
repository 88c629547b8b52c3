import { ferryError } from '../errors/index.ts';
import { elementByteSize, storageFor, type Datatype, type NumericArray, type TensorData } from './datatype.ts';
import { elementCount } from './tensor.ts';

/**
 * Raw tensor bytes as the binary tensor extension and gRPC raw contents carry them: little-endian, row-major;
 * BYTES elements as a 4-byte little-endian length followed by the bytes.
 */
export function decodeRawData(name: string, datatype: Datatype, shape: readonly number[], bytes: Uint8Array): TensorData {
  const count = elementCount(shape);
  if (datatype === 'BYTES') return decodeRawBytesElements(name, count, bytes);
  const size = elementByteSize(datatype);
  if (bytes.byteLength !== count * size) {
    throw ferryError('FERRY_ERR_TENSOR_DATA', {
      input: name,
      detail: `${bytes.byteLength} bytes of raw data, shape [${shape.join(',')}] of ${datatype} needs ${count * size}`,
    });
  }
  const Storage = storageFor(datatype);
  // Typed arrays need aligned offsets; copy when the payload sits at an unaligned offset.
  const aligned = bytes.byteOffset % size === 0 ? bytes : alignedCopy(bytes);
  return new Storage(aligned.buffer, aligned.byteOffset, count);
}

/**
 * A copy of `bytes` at an 8-byte-aligned offset. Buffer.allocUnsafe carves small sizes out of Node's shared pool
 * (8-byte aligned), which saves a malloc'd backing store and its garbage-collector bookkeeping per request: most
 * clients' binary payloads follow a JSON header of arbitrary length, so this copy is the common case.
 */
function alignedCopy(bytes: Uint8Array): Uint8Array {
  const copy = Buffer.allocUnsafe(bytes.byteLength);
  copy.set(bytes);
  return copy;
}

function decodeRawBytesElements(name: string, count: number, bytes: Uint8Array): Uint8Array[] {
  if (count * 4 > bytes.byteLength) {
    throw ferryError('FERRY_ERR_TENSOR_DATA', { input: name, detail: `${bytes.byteLength} bytes cannot hold ${count} BYTES elements` });
  }
  const out: Uint8Array[] = new Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  for (let i = 0; i < count; i++) {
    if (offset + 4 > bytes.byteLength) {
      throw ferryError('FERRY_ERR_TENSOR_DATA', { input: name, detail: `raw BYTES data ends after ${i} of ${count} elements` });
    }
    const length = view.getUint32(offset, true);
    offset += 4;
    if (offset + length > bytes.byteLength) {
      throw ferryError('FERRY_ERR_TENSOR_DATA', { input: name, detail: `raw BYTES element ${i} claims ${length} bytes past the end` });
    }
    out[i] = bytes.subarray(offset, offset + length);
    offset += length;
  }
  if (offset !== bytes.byteLength) {
    throw ferryError('FERRY_ERR_TENSOR_DATA', { input: name, detail: `${bytes.byteLength - offset} bytes left after ${count} BYTES elements` });
  }
  return out;
}

/** Byte length of a tensor's raw encoding. */
export function rawByteLength(datatype: Datatype, data: TensorData): number {
  if (datatype !== 'BYTES') return (data as NumericArray).byteLength;
  let total = 0;
  for (const element of data as Uint8Array[]) total += 4 + element.byteLength;
  return total;
}

/** Raw little-endian bytes of a tensor; numeric data is returned as a view, not copied. */
export function encodeRawData(datatype: Datatype, data: TensorData): Uint8Array {
  if (datatype !== 'BYTES') {
    const typed = data as NumericArray;
    return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
  }
  const elements = data as Uint8Array[];
  const out = new Uint8Array(rawByteLength(datatype, data));
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const element of elements) {
    view.setUint32(offset, element.byteLength, true);
    out.set(element, offset + 4);
    offset += 4 + element.byteLength;
  }
  return out;
}
