import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, scratchRepository, startFerry, type RunningFerry, jsonOf } from './helpers/server.ts';
import { SIMPLE_ROW, simpleRequest } from './helpers/simple-model.ts';

/** A valid request, for each case to spoil. */
const good = simpleRequest;

describe('V2 REST rejects bad input with the protocol error shape and the right status', () => {
  let ferry: RunningFerry;
  let repo: Awaited<ReturnType<typeof scratchRepository>>;
  beforeAll(async () => {
    repo = await scratchRepository(['simple', 'half_plus_two']);
    ferry = await startFerry({ model_repository: repo.root, http: { body_limit_bytes: 64 * 1024 }, auth: { allow_loopback_without_token: true } });
  });
  afterAll(async () => {
    await ferry.stop();
    await repo.remove();
  });

  const infer = (body: unknown, model = 'simple', headers: Record<string, string> = {}) => postJson(`${ferry.url}/v2/models/${model}/infer`, body, headers);

  const cases: [string, () => Promise<{ status: number; body: any }>, number, RegExp][] = [
    ['malformed JSON', () => infer('{"inputs": [', 'simple'), 400, /malformed request body/],
    ['a body that is not an object', () => infer('[1,2]'), 400, /must be a JSON object/],
    ['unknown model', () => infer(good(), 'nope'), 404, /model 'nope' not found/],
    ['unknown version', () => postJson(`${ferry.url}/v2/models/simple/versions/7/infer`, good()), 404, /has no version '7'/],
    ['a model name with path traversal', () => infer(good(), '..%2F..%2Fetc'), 400, /invalid model name/],
    ['missing input', () => infer({ inputs: [good().inputs[0]] }), 400, /requires input 'INPUT1'/],
    ['extra input', () => infer({ inputs: [...good().inputs, { name: 'EXTRA', datatype: 'INT32', shape: [1], data: [1] }] }), 400, /has no input 'EXTRA'/],
    ['duplicate input', () => infer({ inputs: [good().inputs[0], good().inputs[0]] }), 400, /more than once/],
    ['wrong datatype', () => infer({ inputs: [{ ...good().inputs[0], datatype: 'FP32' }, good().inputs[1]] }), 400, /datatype FP32, model expects INT32/],
    ['unknown datatype', () => infer({ inputs: [{ ...good().inputs[0], datatype: 'FLOAT' }, good().inputs[1]] }), 400, /unknown datatype 'FLOAT'/],
    ['shape mismatch', () => infer({ inputs: [{ ...good().inputs[0], shape: [2, 8] }, good().inputs[1]] }), 400, /shape \[2,8\], model expects \[-1,16\]/],
    ['element count mismatch', () => infer({ inputs: [{ ...good().inputs[0], data: [1, 2, 3] }, good().inputs[1]] }), 400, /has 3 elements, its shape \[1,16\] needs 16/],
    ['non-numeric data', () => infer({ inputs: [{ ...good().inputs[0], data: [...SIMPLE_ROW.slice(1), 'x'] }, good().inputs[1]] }), 400, /"x" is not an integer/],
    ['a fractional value in an integer tensor', () => infer({ inputs: [{ ...good().inputs[0], data: [...SIMPLE_ROW.slice(1), 1.5] }, good().inputs[1]] }), 400, /1.5 is not an integer/],
    ['an out-of-range integer', () => infer({ inputs: [{ ...good().inputs[0], data: [...SIMPLE_ROW.slice(1), 2 ** 40] }, good().inputs[1]] }), 400, /within the range of INT32/],
    ['a negative dimension', () => infer({ inputs: [{ ...good().inputs[0], shape: [-1, 16] }, good().inputs[1]] }), 400, /invalid shape/],
    ['unknown requested output', () => infer({ ...good(), outputs: [{ name: 'NOPE' }] }), 400, /has no output 'NOPE'/],
    ['a bad parameter value', () => infer({ ...good(), parameters: { x: { nested: 1 } } }), 400, /parameter 'x'/],
    ['a bad timeout header', () => infer(good(), 'simple', { 'ferry-timeout-ms': 'soon' }), 400, /ferry-timeout-ms/],
  ];

  for (const [what, send, status, message] of cases) {
    it(`${what} → ${status}`, async () => {
      const response = await send();
      expect(response.status).toBe(status);
      expect(Object.keys(response.body)).toEqual(['error']);
      expect(response.body.error).toMatch(message);
    });
  }

  it('a binary header length larger than the body → 400', async () => {
    const response = await fetch(`${ferry.url}/v2/models/simple/infer`, {
      method: 'POST', headers: { 'inference-header-content-length': '5000', 'content-type': 'application/octet-stream' }, body: Buffer.from('{"inputs":[]}'),
    });
    expect(response.status).toBe(400);
    expect((await jsonOf(response)).error).toMatch(/Inference-Header-Content-Length 5000 is larger than the 13-byte body/);
  });

  it('binary data shorter than binary_data_size → 400', async () => {
    const header = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [3], parameters: { binary_data_size: 12 } }] }));
    const response = await fetch(`${ferry.url}/v2/models/half_plus_two/infer`, {
      method: 'POST', headers: { 'inference-header-content-length': String(header.length) }, body: Buffer.concat([header, Buffer.alloc(8)]),
    });
    expect(response.status).toBe(400);
    expect((await jsonOf(response)).error).toMatch(/needs 12 bytes/);
  });

  it('a body over the configured limit → 413 naming the limit and the setting', async () => {
    const big = { inputs: [{ name: 'x', datatype: 'FP32', shape: [20000], data: new Array(20000).fill(1.2345) }] };
    const response = await postJson(`${ferry.url}/v2/models/half_plus_two/infer`, big);
    expect(response.status).toBe(413);
    expect(response.body.error).toMatch(/exceeds the limit of 65536 bytes \(setting: http.body_limit_bytes/);
  });

  it('a model that is not ready → 503, and it comes back after load', async () => {
    expect((await postJson(`${ferry.url}/v2/repository/models/simple/unload`, {})).status).toBe(200);
    const index = await postJson(`${ferry.url}/v2/repository/index`, {});
    expect(index.body).toContainEqual(expect.objectContaining({ name: 'simple', version: '1', state: 'END' }));
    const response = await infer(good());
    expect(response.status).toBe(503);
    expect(response.body.error).toMatch(/not ready/);
    expect((await fetch(`${ferry.url}/v2/models/simple/ready`)).status).toBe(503);
    expect((await postJson(`${ferry.url}/v2/repository/models/simple/load`, {})).status).toBe(200);
    expect((await infer(good())).status).toBe(200);
    const absent = await postJson(`${ferry.url}/v2/repository/models/absent/load`, {});
    expect(absent.status).toBe(404);
    // Triton's clients look for "failed to load" in the answer.
    expect(absent.body.error).toBe("failed to load model 'absent': the repository has no model of that name");
  });

  it("the repository index takes a boolean 'ready' and a JSON object within the nesting limit, else 400", async () => {
    const ready = await postJson(`${ferry.url}/v2/repository/index`, { ready: true });
    expect(ready.status).toBe(200);
    const cases: [string, RegExp][] = [
      ['{"ready": "yes"}', /'ready' must be a boolean/],
      ['{"ready": [true]}', /'ready' must be a boolean/],
      // Triton's QA nests 'ready' 250,000 lists deep; this server's body limit holds 30,000.
      [`{"ready": ${'['.repeat(30_000)}true${']'.repeat(30_000)}}`, /nests deeper than 100 levels.*limits\.max_json_depth/],
      ['[true]', /the body must be a JSON object/],
      ['{"ready": ', /malformed request body/],
    ];
    for (const [body, message] of cases) {
      const r = await fetch(`${ferry.url}/v2/repository/index`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(r.status, body.slice(0, 40)).toBe(400);
      expect(((await r.json()) as { error: string }).error).toMatch(message);
    }
    expect((await fetch(`${ferry.url}/v2/health/live`)).status).toBe(200);
  });

  it('a request the HTTP parser refuses is answered in the same shape, with the catalogue code, before the connection closes', async () => {
    const send = (text: string) => new Promise<string>((resolve, reject) => {
      const socket = connect(ferry.ports.httpPort, '127.0.0.1', () => socket.end(text));
      let received = '';
      socket.on('data', (chunk) => (received += chunk.toString('latin1')));
      socket.on('close', () => resolve(received));
      socket.on('error', reject);
    });
    const chunk = '{"inputs": []}';
    const both = await send(`POST /v2/models/simple/infer HTTP/1.1\r\nHost: x\r\nContent-Length: ${chunk.length + 10}\r\nTransfer-Encoding: chunked\r\n\r\n${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`);
    expect(both).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(both).toMatch(/\r\nferry-error-code: FERRY_ERR_HTTP_MALFORMED\r\n/);
    expect(JSON.parse(both.slice(both.indexOf('\r\n\r\n') + 4))).toEqual({ error: "malformed HTTP request: Transfer-Encoding can't be present with Content-Length" });
    const huge = await send(`GET /v2/health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(huge).toMatch(/^HTTP\/1\.1 431 /);
    expect(JSON.parse(huge.slice(huge.indexOf('\r\n\r\n') + 4)).error).toMatch(/headers exceed/);
    expect((await fetch(`${ferry.url}/v2/health/live`)).status).toBe(200);
  });

  it('an unknown route → 404 in the same shape, and the server stays live', async () => {
    const response = await fetch(`${ferry.url}/v2/nothing/here`);
    expect(response.status).toBe(404);
    expect((await jsonOf(response)).error).toMatch(/no route for GET \/v2\/nothing\/here/);
    expect((await fetch(`${ferry.url}/v2/health/live`)).status).toBe(200);
  });
});
