/** Client side of the V2 binary tensor extension and of the BYTES raw layout, as tests need them. */

/** BYTES raw layout: each element as a 4-byte little-endian length, then its bytes. */
export function rawBytesElements(elements: readonly Uint8Array[]): Buffer {
  return Buffer.concat(elements.flatMap((element) => {
    const length = Buffer.alloc(4);
    length.writeUInt32LE(element.byteLength);
    return [length, Buffer.from(element)];
  }));
}

export function parseRawBytesElements(raw: Uint8Array): Buffer[] {
  const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const out: Buffer[] = [];
  for (let offset = 0; offset < bytes.length;) {
    const length = bytes.readUInt32LE(offset);
    out.push(bytes.subarray(offset + 4, offset + 4 + length));
    offset += 4 + length;
  }
  return out;
}

export interface BinaryAnswer {
  readonly status: number;
  /** The JSON header of a binary answer, or the whole JSON body. */
  readonly json: any;
  /** Raw bytes of each output that came back binary, by name. */
  readonly binary: ReadonlyMap<string, Buffer>;
}

/**
 * POSTs a V2 infer request whose `header` (a JSON object) names `blobs` through binary_data_size, in order, and
 * reads the answer: JSON, or a JSON header followed by the outputs that carry binary_data_size.
 */
export async function postV2Binary(url: string, header: object, blobs: readonly Uint8Array[]): Promise<BinaryAnswer> {
  const head = Buffer.from(JSON.stringify(header));
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'inference-header-content-length': String(head.length), 'content-type': 'application/octet-stream' },
    body: Buffer.concat([head, ...blobs.map((b) => Buffer.from(b))]),
  });
  const body = Buffer.from(await response.arrayBuffer());
  const lengthHeader = response.headers.get('inference-header-content-length');
  const jsonLength = lengthHeader === null ? body.length : Number(lengthHeader);
  const json = JSON.parse(body.subarray(0, jsonLength).toString('utf8'));
  const binary = new Map<string, Buffer>();
  let offset = jsonLength;
  for (const output of json.outputs ?? []) {
    const size = output.parameters?.binary_data_size;
    if (typeof size !== 'number') continue;
    binary.set(output.name, body.subarray(offset, offset + size));
    offset += size;
  }
  return { status: response.status, json, binary };
}
