// FP16 over gRPC raw contents, against numpy float16, on a server in a child process.
//
// Why a child process: on Node 24 (which has Float16Array) onnxruntime-node 1.30 wraps FP16 data in a
// Float16Array that its native binding then reads as 0 bytes ("not enough space: expected 24, got 0"), so FP16
// ONNX models fail in-process whatever the protocol. The child runs with --no-js-float16array, where
// onnxruntime-node keeps Uint16Array, which isolates what this test checks: the gRPC FP16 path, bit for bit.
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servingAddresses, stopChild, tracked } from './helpers/processes.ts';
import { grpcClient, type GrpcServiceClient } from '../src/protocol/v2-grpc/index.ts';
import { REPO_ROOT } from './helpers/server.ts';

const NODE = path.join(REPO_ROOT, 'node_modules/.bin/node');
const FIXTURES = path.join(REPO_ROOT, 'test/fixtures/onnx');

let root: string;
let child: ChildProcess;
let client: GrpcServiceClient;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'ferry-grpc-fp16-'));
  await cp(path.join(FIXTURES, 'grpc-models/half'), path.join(root, 'half'), { recursive: true });
  child = tracked(spawn(NODE, ['--no-js-float16array', 'bin/ferry.js', 'serve', root, '--http-port', '0', '--grpc-port', '0', '--poll-seconds', '0', '--log-level', 'info'], {
    cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  }));
  const grpcAddress = (await servingAddresses(child, 20_000, 'server')).grpc;
  expect(grpcAddress).toMatch(/^127\.0\.0\.1:\d+$/);
  client = grpcClient('inference.GRPCInferenceService', grpcAddress);
}, 30_000);

afterAll(async () => {
  client?.close();
  if (child) await stopChild(child);
  await rm(root, { recursive: true, force: true });
});

describe('gRPC FP16', () => {
  it('computes y = 2x + 1 in float16 through raw contents, bit for bit with numpy', async () => {
    const { half } = JSON.parse(await readFile(path.join(FIXTURES, 'grpc.reference.json'), 'utf8'));
    const bits = Uint16Array.from(half.inputs.x.flat() as number[]);
    const response = await client.call<{ outputs: { name: string; datatype: string; shape: string[] }[]; raw_output_contents: Buffer[] }>('ModelInfer', {
      model_name: 'half', inputs: [{ name: 'x', datatype: 'FP16', shape: [3, 4] }], raw_input_contents: [Buffer.from(bits.buffer)],
    });
    expect(response.outputs).toEqual([expect.objectContaining({ name: 'y', datatype: 'FP16', shape: ['3', '4'] })]);
    const out = response.raw_output_contents[0]!;
    expect(Array.from(new Uint16Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength)))).toEqual(half.outputs.y.flat());
  });

  it('reports FP16 tensors in ModelMetadata and as TYPE_FP16 in ModelConfig', async () => {
    const meta = await client.call<{ inputs: { datatype: string; shape: string[] }[] }>('ModelMetadata', { name: 'half' });
    expect(meta.inputs).toEqual([{ name: 'x', datatype: 'FP16', shape: ['-1', '4'] }]);
    const { config } = await client.call<{ config: { input: { data_type: string }[]; output: { data_type: string }[] } }>('ModelConfig', { name: 'half' });
    expect([config.input[0]!.data_type, config.output[0]!.data_type]).toEqual(['TYPE_FP16', 'TYPE_FP16']);
  });
});
