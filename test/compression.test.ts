// HTTP compression on every REST protocol: request bodies with Content-Encoding gzip or deflate (the V2 binary
// header length counts decompressed bytes), bounded by the body limit once decompressed, refused clearly when
// they do not decode; answers compressed when Accept-Encoding asks and they are 1 KiB or more.
import { deflateRawSync, deflateSync, gunzipSync, gzipSync, inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFerry, type RunningFerry } from './helpers/server.ts';
import { exchange, splitBinaryAnswer } from './helpers/raw-http.ts';

const LIMIT = 256 * 1024;
let ferry: RunningFerry;
beforeAll(async () => {
  ferry = await startFerry({ http: { body_limit_bytes: LIMIT } });
});
afterAll(async () => {
  await ferry.stop();
});

/** `rows` rows of the simple model's inputs and the sums and differences numpy would give. */
function simpleCase(rows: number) {
  const a = Array.from({ length: rows * 16 }, (_, i) => (i * 7919) % 1000 - 500);
  const b = Array.from({ length: rows * 16 }, (_, i) => (i * 104729) % 777 - 300);
  const request = {
    inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [rows, 16], data: a }, { name: 'INPUT1', datatype: 'INT32', shape: [rows, 16], data: b }],
  };
  return { request, sum: a.map((v, i) => v + b[i]!), difference: a.map((v, i) => v - b[i]!) };
}

const json = (headers: Record<string, string> = {}) => ({ 'content-type': 'application/json', ...headers });
const errorOf = (body: Buffer) => JSON.parse(body.toString('utf8')).error as string;

describe('compressed requests', () => {
  for (const [coding, compress] of [['gzip', gzipSync], ['deflate', deflateSync], ['deflate', deflateRawSync]] as const) {
    it(`V2 infer decodes a ${coding} body (${compress.name}) and computes the model's answer`, async () => {
      const c = simpleCase(4);
      const r = await exchange(`${ferry.url}/v2/models/simple/infer`, { headers: json({ 'content-encoding': coding }), body: compress(JSON.stringify(c.request)) });
      expect(r.status).toBe(200);
      const body = JSON.parse(r.body.toString('utf8'));
      expect(body.outputs.find((o: any) => o.name === 'OUTPUT0').data).toEqual(c.sum);
      expect(body.outputs.find((o: any) => o.name === 'OUTPUT1').data).toEqual(c.difference);
    });
  }

  it('the binary header length counts decompressed bytes', async () => {
    const x = Float32Array.of(2, 3, 4, -8);
    const header = Buffer.from(JSON.stringify({
      inputs: [{ name: 'x', datatype: 'FP32', shape: [4], parameters: { binary_data_size: 16 } }],
      outputs: [{ name: 'y', parameters: { binary_data: true } }],
    }));
    const r = await exchange(`${ferry.url}/v2/models/half_plus_two/infer`, {
      headers: { 'content-type': 'application/octet-stream', 'content-encoding': 'gzip', 'inference-header-content-length': header.length },
      body: gzipSync(Buffer.concat([header, Buffer.from(x.buffer)])),
    });
    expect(r.status).toBe(200);
    const { binary } = splitBinaryAnswer(r);
    expect(Array.from(new Float32Array(Uint8Array.from(binary.get('y')!).buffer))).toEqual([3, 3.5, 4, -2]);
  });

  it('TF Serving and MLflow routes decode compressed bodies too', async () => {
    const tf = await exchange(`${ferry.url}/v1/models/half_plus_two:predict`, { headers: json({ 'content-encoding': 'gzip' }), body: gzipSync('{"instances": [1, 2, 5]}') });
    expect(JSON.parse(tf.body.toString('utf8'))).toEqual({ predictions: [2.5, 3, 4.5] });
    const mlflow = await exchange(`${ferry.url}/mlflow/half_plus_two/invocations`, { headers: { 'content-type': 'text/csv', 'content-encoding': 'deflate' }, body: deflateSync('x\n2\n4\n') });
    expect(JSON.parse(mlflow.body.toString('utf8'))).toEqual({ predictions: [3, 4] });
  });

  it('a body that claims an encoding and does not decode is a 400 naming the encoding', async () => {
    const body = Buffer.from(JSON.stringify(simpleCase(1).request));
    for (const path of ['/v2/models/simple/infer', '/v1/models/half_plus_two:predict']) {
      for (const coding of ['gzip', 'deflate']) {
        const r = await exchange(`${ferry.url}${path}`, { headers: json({ 'content-encoding': coding }), body });
        expect(r.status, `${path} ${coding}`).toBe(400);
        expect(errorOf(r.body)).toMatch(new RegExp(`^the request body is not valid ${coding} data: `));
      }
    }
    // A gzip stream cut short is not decodable either.
    const cut = gzipSync(body).subarray(0, 30);
    expect((await exchange(`${ferry.url}/v2/models/simple/infer`, { headers: json({ 'content-encoding': 'gzip' }), body: cut })).status).toBe(400);
  });

  it('an encoding other than gzip, deflate or identity is a 415', async () => {
    for (const path of ['/v2/models/simple/infer', '/v1/models/half_plus_two:predict']) {
      const r = await exchange(`${ferry.url}${path}`, { headers: json({ 'content-encoding': 'br' }), body: 'xx' });
      expect(r.status).toBe(415);
      expect(errorOf(r.body)).toBe("unsupported Content-Encoding 'br': request bodies may be gzip, deflate or identity");
    }
    const identity = await exchange(`${ferry.url}/v2/models/simple/infer`, { headers: json({ 'content-encoding': 'identity' }), body: JSON.stringify(simpleCase(1).request) });
    expect(identity.status).toBe(200);
  });

  it('a gzip bomb is refused with 413 once its decompressed size passes the body limit', async () => {
    // 64 MiB of zeros compress to about 64 KiB: well under the limit on the wire, 256 times over it decompressed.
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(LIMIT);
    for (const path of ['/v2/models/simple/infer', '/v1/models/half_plus_two:predict']) {
      const r = await exchange(`${ferry.url}${path}`, { headers: json({ 'content-encoding': 'gzip' }), body: bomb });
      expect(r.status, path).toBe(413);
      expect(errorOf(r.body)).toBe(`request of more than ${LIMIT} once decompressed bytes exceeds the limit of ${LIMIT} bytes (setting: http.body_limit_bytes / FERRY_HTTP_BODY_LIMIT_BYTES)`);
    }
    // Exactly the limit decompressed is served as any body is; one byte more is refused.
    const request = JSON.stringify(simpleCase(1).request);
    const padded = (size: number) => gzipSync(request + ' '.repeat(size - Buffer.byteLength(request)));
    expect((await exchange(`${ferry.url}/v2/models/simple/infer`, { headers: json({ 'content-encoding': 'gzip' }), body: padded(LIMIT) })).status).toBe(200);
    expect((await exchange(`${ferry.url}/v2/models/simple/infer`, { headers: json({ 'content-encoding': 'gzip' }), body: padded(LIMIT + 1) })).status).toBe(413);
    expect((await exchange(`${ferry.url}/v1/models/half_plus_two:predict`, { headers: json({ 'content-encoding': 'gzip' }), body: padded(LIMIT + 1) })).status).toBe(413);
  });
});

describe('compressed answers', () => {
  it('V2 infer answers gzip or deflate as Accept-Encoding asks, and the decompressed answer is the model\'s', async () => {
    const c = simpleCase(16);
    for (const [accept, coding, decompress] of [['gzip', 'gzip', gunzipSync], ['deflate', 'deflate', inflateSync], ['br;q=1, gzip;q=0.5', 'gzip', gunzipSync], ['*', 'gzip', gunzipSync]] as const) {
      const r = await exchange(`${ferry.url}/v2/models/simple/infer`, { headers: json({ 'accept-encoding': accept }), body: JSON.stringify(c.request) });
      expect(r.status).toBe(200);
      expect(r.headers['content-encoding'], accept).toBe(coding);
      expect(r.headers['vary']).toBe('accept-encoding');
      expect(Number(r.headers['content-length'])).toBe(r.body.length);
      const body = JSON.parse(decompress(r.body).toString('utf8'));
      expect(body.outputs.find((o: any) => o.name === 'OUTPUT0').data).toEqual(c.sum);
    }
  });

  it('sends the answer as it is without Accept-Encoding, with gzip;q=0, and when it is under 1 KiB', async () => {
    const big = JSON.stringify(simpleCase(16).request);
    for (const headers of [json(), json({ 'accept-encoding': 'identity' }), json({ 'accept-encoding': 'gzip;q=0, deflate;q=0' })]) {
      const r = await exchange(`${ferry.url}/v2/models/simple/infer`, { headers, body: big });
      expect(r.headers['content-encoding']).toBeUndefined();
      expect(JSON.parse(r.body.toString('utf8')).outputs).toHaveLength(2);
    }
    const small = await exchange(`${ferry.url}/v2/models/half_plus_two/infer`, {
      headers: json({ 'accept-encoding': 'gzip' }), body: '{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[2]}]}',
    });
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(small.body.toString('utf8')).outputs[0].data).toEqual([3]);
  });

  it('routes served by the framework compress too (model metadata, TF Serving predict)', async () => {
    const instances = Array.from({ length: 300 }, (_, i) => i);
    const tf = await exchange(`${ferry.url}/v1/models/half_plus_two:predict`, { headers: json({ 'accept-encoding': 'gzip' }), body: JSON.stringify({ instances }) });
    expect(tf.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(tf.body).toString('utf8'))).toEqual({ predictions: instances.map((x) => x / 2 + 2) });
  });
});
