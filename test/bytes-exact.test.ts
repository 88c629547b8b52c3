// BYTES are bytes: every byte value passes byte-exact through every protocol that can carry bytes (V2 binary
// extension, gRPC typed and raw contents, TF Serving and MLflow {"b64": ...}), and where an answer must be a JSON
// string, what is not UTF-8 is refused with the protocol's way out. Models: the bytes-echo test runtime (any
// bytes), Triton's simple_identity and simple_string built as ONNX models (ONNX Runtime reads C strings: UTF-8
// without NUL), and a scikit-learn pipeline with categorical inputs (UTF-8 text). A real server on loopback.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcClient, type GrpcServiceClient } from '../src/protocol/v2-grpc/index.ts';
import { createSklearnRuntime } from '../src/runtimes/sklearn/index.ts';
import { send, startWithModels } from './helpers/protocol-repository.ts';
import { EXAMPLE_MODELS, REPO_ROOT, type RunningFerry } from './helpers/server.ts';
import { parseRawBytesElements, postV2Binary, rawBytesElements } from './helpers/v2-binary.ts';

const EXACT_MODELS = path.join(REPO_ROOT, 'test/fixtures/onnx/exact-models');

/** Every byte value as an element of its own, then all 256 in one element, an empty one, a JPEG's first bytes, a BOM. */
const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);
const ELEMENTS: readonly Uint8Array[] = [
  ...Array.from(ALL_BYTES, (b) => Uint8Array.of(b)),
  ALL_BYTES,
  new Uint8Array(0),
  Uint8Array.of(0xff, 0xd8, 0xff, 0xe0),
  Uint8Array.of(0xef, 0xbb, 0xbf, 0x41),
];
/** UTF-8 text an ONNX string tensor carries: every code point U+0001..U+00FF on its own and together, a BOM, an emoji. */
const TEXTS: readonly string[] = [
  ...Array.from({ length: 255 }, (_, i) => String.fromCodePoint(i + 1)),
  Array.from({ length: 255 }, (_, i) => String.fromCodePoint(i + 1)).join(''),
  '', '\uFEFFleading byte-order mark', 'héllo wörld', '🚢 ferry', 'tab\tand\nnewline',
];
const asBuffers = (elements: readonly Uint8Array[]) => elements.map((e) => Buffer.from(e));
const base64 = (e: Uint8Array) => Buffer.from(e).toString('base64');

let ferry: RunningFerry;
let grpc: GrpcServiceClient;
const url = (p: string) => `${ferry.url}${p}`;

beforeAll(async () => {
  ferry = await startWithModels({
    echo: { source: { echo: true } },
    // The same model with its BYTES output served as 'text': TF Serving writes it as a JSON string, not {"b64": ...}.
    echo_text: { source: { echo: true }, yaml: 'outputs:\n  - name: text\n    source: text_bytes\n' },
    simple_identity: { source: { folder: path.join(EXACT_MODELS, 'simple_identity') } },
    simple_string: { source: { folder: path.join(EXACT_MODELS, 'simple_string') } },
    churn: { source: { folder: path.join(EXAMPLE_MODELS, 'churn_sklearn') } },
  }, [createSklearnRuntime()], { grpc: true });
  grpc = grpcClient('inference.GRPCInferenceService', `127.0.0.1:${ferry.ports.grpcPort}`);
});
afterAll(async () => {
  grpc?.close();
  await ferry?.stop();
});

interface GrpcAnswer { outputs: { name: string; datatype: string; shape: string[] }[]; raw_output_contents: Buffer[] }
const grpcFailure = (promise: Promise<unknown>) => promise.then(
  () => { throw new Error('expected the call to fail'); },
  (e: ServiceError) => ({ code: e.code, details: e.details, ferry: e.metadata?.get('ferry-error-code')[0] }),
);
const INVALID_ARGUMENT = 3;

/** A V2 request for the echo model with `elements` in binary, asking for the outputs as `binary` says. */
function echoBinary(model: string, elements: readonly Uint8Array[], binary: boolean) {
  const raw = rawBytesElements(elements);
  const header = {
    inputs: [{ name: 'text', datatype: 'BYTES', shape: [elements.length], parameters: { binary_data_size: raw.length } }],
    outputs: [{ name: 'text_bytes', parameters: { binary_data: binary } }, { name: 'length', parameters: { binary_data: false } }],
  };
  return postV2Binary(url(`/v2/models/${model}/infer`), header, [raw]);
}

describe('BYTES through a model that takes any bytes', () => {
  it('V2 binary extension: every byte value comes back byte for byte, lengths counted by the model', async () => {
    const answer = await echoBinary('echo', ELEMENTS, true);
    expect(answer.status).toBe(200);
    expect(parseRawBytesElements(answer.binary.get('text_bytes')!)).toEqual(asBuffers(ELEMENTS));
    expect(answer.json.outputs.find((o: { name: string }) => o.name === 'length').data).toEqual(ELEMENTS.map((e) => e.byteLength));
  });

  it('V2 JSON: strings come back as sent (NUL and a leading BOM kept); bytes that are not UTF-8 are refused, naming the binary extension', async () => {
    const strings = ['he\u0000llo', '\uFEFFA', ...TEXTS];
    const json = await send(url('/v2/models/echo/infer'), { body: JSON.stringify({ inputs: [{ name: 'text', datatype: 'BYTES', shape: [strings.length], data: strings }] }) });
    expect(json.status).toBe(200);
    const outputs = Object.fromEntries(json.json.outputs.map((o: { name: string; data: unknown[] }) => [o.name, o.data]));
    expect(outputs['text_bytes']).toEqual(strings);
    expect(outputs['length']).toEqual(strings.map((s) => Buffer.byteLength(s, 'utf8')));

    const refused = await echoBinary('echo', ELEMENTS, false);
    expect(refused.status).toBe(400);
    expect(refused.json.error).toBe(
      "output 'text_bytes' element 128 is not UTF-8 text, and this answer writes it as a JSON string: request it with the binary tensor extension (outputs[].parameters.binary_data: true), or use gRPC",
    );
    // Element 0..127 are ASCII and pass; the first lone continuation byte (0x80) is where text ends.
    expect((await echoBinary('echo', ELEMENTS.slice(0, 128), false)).status).toBe(200);
  });

  it('V2 JSON: a string holding a lone surrogate is refused, not turned into U+FFFD', async () => {
    const r = await send(url('/v2/models/echo/infer'), { body: '{"inputs":[{"name":"text","datatype":"BYTES","shape":[2],"data":["ok","\\ud800"]}]}' });
    expect(r.status).toBe(400);
    expect(r.json.error).toBe('tensor \'text\': "\\ud800" is not well-formed Unicode text (it holds a lone surrogate)');
  });

  it('gRPC bytes_contents and raw_input_contents: every byte value comes back byte for byte in raw_output_contents', async () => {
    const typed = await grpc.call<GrpcAnswer>('ModelInfer', {
      model_name: 'echo', inputs: [{ name: 'text', datatype: 'BYTES', shape: [ELEMENTS.length], contents: { bytes_contents: asBuffers(ELEMENTS) } }],
    });
    const raw = await grpc.call<GrpcAnswer>('ModelInfer', {
      model_name: 'echo', inputs: [{ name: 'text', datatype: 'BYTES', shape: [ELEMENTS.length] }], raw_input_contents: [rawBytesElements(ELEMENTS)],
    });
    for (const answer of [typed, raw]) {
      expect(answer.outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual([['text_bytes', 'BYTES', [String(ELEMENTS.length)]], ['length', 'INT32', [String(ELEMENTS.length)]]]);
      expect(parseRawBytesElements(answer.raw_output_contents[0]!)).toEqual(asBuffers(ELEMENTS));
      const lengths = answer.raw_output_contents[1]!;
      expect(Array.from(new Int32Array(lengths.buffer.slice(lengths.byteOffset, lengths.byteOffset + lengths.byteLength)))).toEqual(ELEMENTS.map((e) => e.byteLength));
    }
  });

  it('TF Serving {"b64": ...} in and out (an output named *_bytes), row and columnar format', async () => {
    const b64 = ELEMENTS.map((e) => ({ b64: base64(e) }));
    const row = await send(url('/v1/models/echo:predict'), { body: JSON.stringify({ instances: b64 }) });
    expect(row.status).toBe(200);
    expect(row.json.predictions.map((p: { text_bytes: { b64: string } }) => Buffer.from(p.text_bytes.b64, 'base64'))).toEqual(asBuffers(ELEMENTS));
    expect(row.json.predictions.map((p: { length: number }) => p.length)).toEqual(ELEMENTS.map((e) => e.byteLength));
    const columnar = await send(url('/v1/models/echo:predict'), { body: JSON.stringify({ inputs: { text: b64 } }) });
    expect(columnar.status).toBe(200);
    expect(columnar.json.outputs.text_bytes.map((v: { b64: string }) => Buffer.from(v.b64, 'base64'))).toEqual(asBuffers(ELEMENTS));
  });

  it('TF Serving: an output not named *_bytes is a JSON string; bytes that are not UTF-8 are refused, naming the _bytes convention', async () => {
    const text = await send(url('/v1/models/echo_text:predict'), { body: JSON.stringify({ instances: ['he\u0000llo', '\uFEFFA', '🚢'] }) });
    expect(text.status).toBe(200);
    expect(text.json.predictions.map((p: { text: string }) => p.text)).toEqual(['he\u0000llo', '\uFEFFA', '🚢']);
    const refused = await send(url('/v1/models/echo_text:predict'), { body: JSON.stringify({ instances: [{ b64: 'QQ==' }, { b64: '/9j/4A==' }] }) });
    expect(refused.status).toBe(400);
    expect(refused.json.error).toMatch(/^output 'text' element 1 is not UTF-8 text, and this answer writes it as a JSON string: TF Serving's REST API writes an output as \{"b64": \.\.\.\} when its name ends in '_bytes'/);
  });

  it('Seldon and MLflow answer in JSON strings: UTF-8 comes back exact, other bytes are refused naming the V2 protocol', async () => {
    const seldon = await send(url('/seldon/echo/api/v1.0/predictions'), { body: JSON.stringify({ strData: '\uFEFFhé\u0000' }) });
    expect(seldon.status).toBe(200);
    expect(seldon.json.data.ndarray).toEqual([['\uFEFFhé\u0000', 7]]);
    const seldonBinary = await send(url('/seldon/echo/api/v1.0/predictions'), { body: JSON.stringify({ binData: base64(Uint8Array.of(0xff, 0xd8, 0xff, 0xe0)) }) });
    expect(seldonBinary.status).toBe(400);
    expect(seldonBinary.json.status.info).toMatch(/output 'text_bytes' element 0 is not UTF-8 text.*the V2 protocol carries bytes as they are/);
    const mlflow = await send(url('/mlflow/echo/invocations'), { body: JSON.stringify({ inputs: [{ b64: base64(Uint8Array.of(0xc3, 0xa9)) }, { b64: '/9j/4A==' }] }) });
    expect(mlflow.status).toBe(400);
    expect(mlflow.json).toMatchObject({ error_code: 'BAD_REQUEST' });
    expect(mlflow.json.message).toMatch(/output 'text_bytes' element 1 is not UTF-8 text/);
  });
});

describe('BYTES through ONNX string models (ONNX Runtime reads UTF-8 that ends at NUL)', () => {
  const utf8 = TEXTS.map((t) => Buffer.from(t, 'utf8'));
  const identityBinary = (elements: readonly Uint8Array[]) => {
    const raw = rawBytesElements(elements);
    return postV2Binary(url('/v2/models/simple_identity/infer'), {
      inputs: [{ name: 'INPUT0', datatype: 'BYTES', shape: [1, elements.length], parameters: { binary_data_size: raw.length } }],
      outputs: [{ name: 'OUTPUT0', parameters: { binary_data: true } }],
    }, [raw]);
  };

  it('carries every UTF-8 text exactly over V2 binary, V2 JSON and gRPC raw and typed', async () => {
    const binary = await identityBinary(utf8);
    expect(binary.status).toBe(200);
    expect(parseRawBytesElements(binary.binary.get('OUTPUT0')!)).toEqual(utf8);
    const json = await send(url('/v2/models/simple_identity/infer'), { body: JSON.stringify({ inputs: [{ name: 'INPUT0', datatype: 'BYTES', shape: [1, TEXTS.length], data: TEXTS }] }) });
    expect(json.status).toBe(200);
    expect(json.json.outputs[0].data).toEqual(TEXTS);
    for (const request of [
      { inputs: [{ name: 'INPUT0', datatype: 'BYTES', shape: [1, utf8.length] }], raw_input_contents: [rawBytesElements(utf8)] },
      { inputs: [{ name: 'INPUT0', datatype: 'BYTES', shape: [1, utf8.length], contents: { bytes_contents: utf8 } }] },
    ]) {
      const answer = await grpc.call<GrpcAnswer>('ModelInfer', { model_name: 'simple_identity', ...request });
      expect(parseRawBytesElements(answer.raw_output_contents[0]!)).toEqual(utf8);
    }
  });

  it('refuses an element with NUL (ONNX Runtime would cut it short) and one that is not UTF-8, naming input, element and why', async () => {
    const nul = await identityBinary([Buffer.from('fine'), Buffer.from('he\u0000llo')]);
    expect(nul.status).toBe(400);
    expect(nul.json.error).toBe(
      "input 'INPUT0' element 1 holds a NUL byte at offset 2, which model 'simple_identity' cannot read: it reads BYTES inputs as UTF-8 text that ends at the first NUL byte (onnxruntime_onnx)",
    );
    for (const byte of [0x80, 0xc0, 0xc1, 0xf5, 0xff]) {
      const answer = await identityBinary([Buffer.from('ok'), Uint8Array.of(0x41, byte)]);
      expect(answer.status).toBe(400);
      expect(answer.json.error).toMatch(/^input 'INPUT0' element 1 is not valid UTF-8, which model 'simple_identity' cannot read/);
    }
    const viaGrpc = await grpcFailure(grpc.call('ModelInfer', {
      model_name: 'simple_identity', inputs: [{ name: 'INPUT0', datatype: 'BYTES', shape: [1, 1], contents: { bytes_contents: [Buffer.from('he\u0000llo')] } }],
    }));
    expect(viaGrpc).toMatchObject({ code: INVALID_ARGUMENT, ferry: 'FERRY_ERR_BYTES_UNREADABLE' });
    expect(viaGrpc.details).toMatch(/holds a NUL byte at offset 2/);
  });

  it('a refused request never reaches a batch: requests sent beside it are answered exactly', async () => {
    const good = Array.from({ length: 8 }, (_, i) => [Buffer.from(`row ${i} é`), Buffer.from('🚢')]);
    const answers = await Promise.all([
      ...good.map((elements) => identityBinary(elements)),
      identityBinary([Buffer.from('x'), Buffer.from('cut\u0000here')]),
    ]);
    answers.slice(0, 8).forEach((answer, i) => {
      expect(answer.status).toBe(200);
      expect(parseRawBytesElements(answer.binary.get('OUTPUT0')!)).toEqual(good[i]);
    });
    expect(answers[8]!.status).toBe(400);
  });

  it("simple_string (Triton's example model) adds and subtracts decimal strings as numpy does, over V2 JSON and gRPC raw", async () => {
    const cases = JSON.parse(await readFile(path.join(REPO_ROOT, 'test/fixtures/onnx/exact.reference.json'), 'utf8')).simple_string;
    for (const c of cases as { inputs: Record<string, string[][]>; outputs: Record<string, string[][]> }[]) {
      const rows = c.inputs['INPUT0']!.length;
      const inputs = ['INPUT0', 'INPUT1'].map((name) => ({ name, datatype: 'BYTES', shape: [rows, 16], data: c.inputs[name]!.flat() }));
      const json = await send(url('/v2/models/simple_string/infer'), { body: JSON.stringify({ inputs }) });
      expect(json.status).toBe(200);
      for (const out of json.json.outputs) expect(out.data).toEqual(c.outputs[out.name]!.flat());
      const raw = await grpc.call<GrpcAnswer>('ModelInfer', {
        model_name: 'simple_string',
        inputs: inputs.map(({ name, datatype, shape }) => ({ name, datatype, shape })),
        raw_input_contents: inputs.map((i) => rawBytesElements(i.data.map((s) => Buffer.from(s)))),
      });
      raw.outputs.forEach((out, i) => expect(parseRawBytesElements(raw.raw_output_contents[i]!).map(String)).toEqual(c.outputs[out.name]!.flat()));
    }
  });
});

describe('categorical BYTES in a tabular model (scikit-learn pipeline: UTF-8 text)', () => {
  it('refuses a category that is not UTF-8, and scores the same row with a UTF-8 category', async () => {
    const row = (city: Uint8Array) => {
      const raw = rawBytesElements([city]);
      return postV2Binary(url('/v2/models/churn/infer'), {
        inputs: [
          { name: 'tenure_months', datatype: 'FP64', shape: [1], data: [25] },
          { name: 'monthly_charges', datatype: 'FP64', shape: [1], data: [54.65] },
          { name: 'contract', datatype: 'BYTES', shape: [1], data: ['monthly'] },
          { name: 'city', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: raw.length } },
        ],
      }, [raw]);
    };
    const refused = await row(Uint8Array.of(0x6e, 0x69, 0x63, 0xe9)); // "nic" + a Latin-1 é
    expect(refused.status).toBe(400);
    expect(refused.json.error).toMatch(/^input 'city' element 0 is not valid UTF-8, which model 'churn' cannot read: it reads BYTES inputs as UTF-8 text \(ferry_sklearn\)$/);
    expect((await row(Buffer.from('nice'))).status).toBe(200);
  });
});

describe('requested outputs named twice', () => {
  it('are refused on V2 REST (400) and gRPC (INVALID_ARGUMENT)', async () => {
    const rest = await send(url('/v2/models/echo/infer'), {
      body: JSON.stringify({ inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: ['a'] }], outputs: [{ name: 'length' }, { name: 'text_bytes' }, { name: 'length' }] }),
    });
    expect(rest.status).toBe(400);
    expect(rest.json.error).toBe("output 'length' is requested more than once");
    const viaGrpc = await grpcFailure(grpc.call('ModelInfer', {
      model_name: 'echo', inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], contents: { bytes_contents: [Buffer.from('a')] } }],
      outputs: [{ name: 'text_bytes' }, { name: 'text_bytes' }],
    }));
    expect(viaGrpc).toEqual({ code: INVALID_ARGUMENT, details: "output 'text_bytes' is requested more than once", ferry: 'FERRY_ERR_OUTPUT_DUPLICATE' });
  });
});
