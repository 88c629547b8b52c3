import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startFerry, type RunningFerry } from './helpers/server.ts';
import { expectClose, send } from './helpers/protocol-repository.ts';
import { grpcClient, type GrpcServiceClient } from '../src/protocol/v2-grpc/client.ts';

/**
 * One server, one model, every protocol: each answers the same float32 numbers, and those match numpy's
 * reference (test/fixtures/onnx/*.reference.json). Each protocol is a client function from named inputs to
 * named flat outputs, written from that protocol's documented request and response forms.
 */
type Values = Record<string, number[]>;
interface ReferenceCase {
  readonly inputs: Record<string, unknown[]>;
  readonly outputs: Record<string, unknown[]>;
}
interface ProtocolClient {
  readonly name: string;
  infer(model: string, signature: Signature, inputs: ReferenceCase['inputs']): Promise<Values>;
}
interface Signature {
  readonly inputs: { name: string; datatype: string; shape: number[] }[];
  readonly outputs: { name: string }[];
}

let ferry: RunningFerry;
const flat = (value: unknown): number[] => (Array.isArray(value) ? value.flat(Infinity) as number[] : [value as number]);
const shapeOf = (value: unknown): number[] => (Array.isArray(value) ? [value.length, ...shapeOf(value[0])] : []);

async function ok(r: Awaited<ReturnType<typeof send>>, protocol: string): Promise<any> {  
  if (r.status !== 200) throw new Error(`${protocol}: HTTP ${r.status} ${r.text}`);
  return r.json;
}

/** Several outputs come back keyed by name; a single one unnamed (TF Serving, MLflow, Seldon ndarray). */
function byName(signature: Signature, value: unknown): Values {
  if (signature.outputs.length === 1) return { [signature.outputs[0]!.name]: flat(value) };
  const named = value as Record<string, unknown>;
  return Object.fromEntries(signature.outputs.map((o) => [o.name, flat(named[o.name])]));
}

const PROTOCOLS: ProtocolClient[] = [
  {
    name: 'V2 REST',
    async infer(model, signature, inputs) {
      const body = { inputs: signature.inputs.map((i) => ({ name: i.name, datatype: i.datatype, shape: shapeOf(inputs[i.name]), data: flat(inputs[i.name]) })) };
      const json = await ok(await send(`${ferry.url}/v2/models/${model}/infer`, { body: JSON.stringify(body) }), this.name);
      return Object.fromEntries((json.outputs as { name: string; data: number[] }[]).map((o) => [o.name, o.data]));
    },
  },
  {
    name: 'TF Serving REST',
    async infer(model, signature, inputs) {
      const json = await ok(await send(`${ferry.url}/v1/models/${model}:predict`, { body: JSON.stringify({ inputs }) }), this.name);
      return byName(signature, json.outputs);
    },
  },
  {
    name: 'Seldon v1',
    async infer(model, signature, inputs) {
      // One input: data.ndarray; several (each a whole tensor, not a table column): jsonData of named inputs.
      const message = signature.inputs.length === 1 ? { data: { ndarray: inputs[signature.inputs[0]!.name] } } : { jsonData: inputs };
      const json = await ok(await send(`${ferry.url}/seldon/${model}/api/v1.0/predictions`, { body: JSON.stringify(message) }), this.name);
      return byName(signature, json.jsonData ?? json.data.ndarray);
    },
  },
  {
    name: 'MLflow',
    async infer(model, signature, inputs) {
      const json = await ok(await send(`${ferry.url}/mlflow/${model}/invocations`, { body: JSON.stringify({ inputs }) }), this.name);
      return byName(signature, json.predictions);
    },
  },
  {
    name: 'V2 gRPC',
    async infer(model, signature, inputs) {
      // Typed contents in (int_contents for INT32, fp32_contents for FP32); the answer is raw, as Triton's.
      const field = (datatype: string) => (datatype === 'INT32' ? 'int_contents' : 'fp32_contents');
      const response = await grpc.call<{ outputs: { name: string; datatype: string }[]; raw_output_contents: Buffer[] }>('ModelInfer', {
        model_name: model,
        inputs: signature.inputs.map((i) => ({ name: i.name, datatype: i.datatype, shape: shapeOf(inputs[i.name]), contents: { [field(i.datatype)]: flat(inputs[i.name]) } })),
      });
      const values = (raw: Buffer, datatype: string) => {
        const copy = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
        return Array.from(datatype === 'INT32' ? new Int32Array(copy) : new Float32Array(copy));
      };
      return Object.fromEntries(response.outputs.map((o, i) => [o.name, values(response.raw_output_contents[i]!, o.datatype)]));
    },
  },
];

let grpc: GrpcServiceClient;
beforeAll(async () => {
  ferry = await startFerry();
  grpc = grpcClient('inference.GRPCInferenceService', `127.0.0.1:${ferry.ports.grpcPort}`);
});
afterAll(async () => {
  grpc?.close();
  await ferry?.stop();
});

describe.each(['half_plus_two', 'mlp', 'simple'])('%s under every protocol', (model) => {
  let cases: ReferenceCase[];
  let signature: Signature;
  beforeAll(async () => {
    cases = JSON.parse(await readFile(path.join(REPO_ROOT, `test/fixtures/onnx/${model}.reference.json`), 'utf8'));
    signature = (await send(`${ferry.url}/v2/models/${model}`)).json;
  });

  it('every protocol answers numpy\'s numbers, and all answer the same float32 values', async () => {
    for (const [c, reference] of cases.entries()) {
      const answers = new Map<string, Values>();
      for (const protocol of PROTOCOLS) answers.set(protocol.name, await protocol.infer(model, signature, reference.inputs));
      const first = answers.get(PROTOCOLS[0]!.name)!;
      for (const [name, values] of answers) {
        for (const output of signature.outputs) {
          const got = values[output.name]!;
          expect(expectClose(got, flat(reference.outputs[output.name]), 1e-5), `${name} case ${c} ${output.name} vs numpy`).toEqual([]);
          // Whatever the text form (TF prints float32 shortest, MLflow and V2 the double), the float32 is identical.
          expect(got.map(Math.fround), `${name} case ${c} ${output.name} vs ${PROTOCOLS[0]!.name}`).toEqual(first[output.name]!.map(Math.fround));
        }
      }
    }
  });
});
