/**
 * The ONNX metadata Ferry serves and validates requests against (names, element types, shapes) is bounded at load:
 * a rank up to 64 and dimensions a JavaScript number holds exactly. Boundaries on both sides, from the real
 * 'simple' model with its shapes edited.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createOnnxRuntime } from '../../src/runtimes/onnx/onnx-runtime.ts';
import { silentContext } from '../../src/runtimes/runtime.case.ts';
import { EXAMPLE_MODELS } from '../helpers/server.ts';
import { extraDims, hugeDeclaredDims } from './onnx-mutations.ts';

const simple = readFileSync(path.join(EXAMPLE_MODELS, 'simple/1/model.onnx'));
const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

async function load(bytes: Buffer) {
  const folder = mkdtempSync(path.join(tmpdir(), 'ferry-onnx-meta-'));
  folders.push(folder);
  writeFileSync(path.join(folder, 'model.onnx'), bytes);
  return createOnnxRuntime().load({ name: 'm', version: '1', dir: { path: folder, files: ['model.onnx'] }, options: {} }, silentContext);
}

describe('ONNX metadata limits', () => {
  it('loads inputs of rank 64 and refuses rank 65', async () => {
    const at = await load(extraDims(simple, 62));
    expect(at.signature.inputs[0]!.shape).toHaveLength(64);
    await at.unload();
    await expect(load(extraDims(simple, 63))).rejects.toThrow("failed to load model 'm': value 'INPUT0' has 65 dimensions, more than the limit of 64");
  });

  it('loads a dimension of 2^53 - 1 and refuses 2^53 + 1', async () => {
    const at = await load(hugeDeclaredDims(simple, 2n ** 53n - 1n));
    expect(at.signature.inputs[0]!.shape).toEqual([-1, Number.MAX_SAFE_INTEGER]);
    await at.unload();
    await expect(load(hugeDeclaredDims(simple, 2n ** 53n + 1n))).rejects.toThrow(/value 'INPUT0' declares dimension 9007199254740992, beyond 2\^53 - 1/);
  });
});
