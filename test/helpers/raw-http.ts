import { request } from 'node:http';

export interface RawAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body exactly as it came over the wire (not decompressed). */
  readonly body: Buffer;
}

/**
 * One HTTP exchange with node:http, which sends only the headers given (fetch adds Accept-Encoding and a
 * Content-Type of its own) and hands back the body as sent, compressed or not.
 */
export function exchange(url: string, init: { method?: string; headers?: Record<string, string | number>; body?: Buffer | string } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? (init.body === undefined ? 'GET' : 'POST'), headers: init.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** A binary tensor answer split into its JSON header and the raw bytes of each output that carries binary_data_size. */
export function splitBinaryAnswer(answer: RawAnswer): { json: any; binary: Map<string, Buffer> } {
  const declared = answer.headers['inference-header-content-length'];
  const jsonLength = typeof declared === 'string' ? Number(declared) : answer.body.length;
  const json = JSON.parse(answer.body.subarray(0, jsonLength).toString('utf8'));
  const binary = new Map<string, Buffer>();
  let offset = jsonLength;
  for (const output of json.outputs ?? []) {
    const size = output.parameters?.binary_data_size;
    if (typeof size !== 'number') continue;
    binary.set(output.name, answer.body.subarray(offset, offset + size));
    offset += size;
  }
  return { json, binary };
}
