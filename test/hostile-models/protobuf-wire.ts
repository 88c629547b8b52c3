/**
 * Protocol Buffers at the wire level: a message is a list of (field number, wire type, value). Enough to take a
 * real ONNX file apart, change one field deep inside it and write it back, without a schema.
 */
export type Field =
  | { readonly no: number; readonly wire: 0; readonly value: bigint }
  | { readonly no: number; readonly wire: 1 | 5; readonly value: Buffer }
  | { readonly no: number; readonly wire: 2; readonly value: Buffer };

export function decodeMessage(buffer: Buffer): Field[] {
  const fields: Field[] = [];
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (at >= buffer.length) throw new Error('truncated varint');
      const byte = buffer[at++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (at < buffer.length) {
    const key = Number(varint());
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) fields.push({ no, wire, value: varint() });
    else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4;
      fields.push({ no, wire, value: buffer.subarray(at, at + size) });
      at += size;
    } else if (wire === 2) {
      const length = Number(varint());
      fields.push({ no, wire, value: buffer.subarray(at, at + length) });
      at += length;
    } else throw new Error(`wire type ${wire} is not supported`);
  }
  return fields;
}

export function encodeMessage(fields: readonly Field[]): Buffer {
  const parts: Buffer[] = [];
  for (const field of fields) {
    parts.push(varintBytes(BigInt((field.no << 3) | field.wire)));
    if (field.wire === 0) parts.push(varintBytes(field.value));
    else if (field.wire === 2) parts.push(varintBytes(BigInt(field.value.length)), field.value);
    else parts.push(field.value);
  }
  return Buffer.concat(parts);
}

export function varintField(no: number, value: number | bigint): Field {
  return { no, wire: 0, value: BigInt.asUintN(64, BigInt(value)) };
}

export function bytesField(no: number, value: Buffer | string | readonly Field[]): Field {
  const bytes = typeof value === 'string' ? Buffer.from(value) : Buffer.isBuffer(value) ? value : encodeMessage(value);
  return { no, wire: 2, value: bytes };
}

/** The sub-message in field `no` (the first one when `index` is not given). */
export function subMessage(fields: readonly Field[], no: number, index = 0): Field[] {
  const found = fields.filter((f) => f.no === no)[index];
  if (!found || found.wire !== 2) throw new Error(`no message in field ${no} at ${index}`);
  return decodeMessage(found.value);
}

/** `fields` with the `index`-th occurrence of field `no` replaced by `replacement` (a message or raw field). */
export function replaceField(fields: readonly Field[], no: number, index: number, replacement: Field): Field[] {
  let seen = -1;
  return fields.map((f) => (f.no === no && ++seen === index ? replacement : f));
}

function varintBytes(value: bigint): Buffer {
  const bytes: number[] = [];
  let v = value;
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    bytes.push(byte);
  } while (v > 0n);
  return Buffer.from(bytes);
}
