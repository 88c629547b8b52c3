import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

export const PYTHON = process.env['FERRY_TEST_PYTHON'] ?? '/usr/bin/python3';
const run = promisify(execFile);

/** Runs a Python script with Debian's interpreter; resolves with its stdout. */
export async function python(script: string, cwd?: string): Promise<string> {
  const { stdout } = await run(PYTHON, ['-c', script], { cwd, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** Writes a model folder: `model.yaml` (when given) and version 1's files. */
export async function writeModel(root: string, name: string, files: Record<string, string>, modelYaml?: string): Promise<string> {
  const version = path.join(root, name, '1');
  await mkdir(version, { recursive: true });
  if (modelYaml !== undefined) await writeFile(path.join(root, name, 'model.yaml'), modelYaml);
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(version, file)), { recursive: true });
    await writeFile(path.join(version, file), text);
  }
  return version;
}

/** A model.py with one FP32 input `x` and one output `y` of shape [-1, n], around a predict body. */
export function floatModel(predictBody: string, extra = ''): string {
  return `import os, sys, time
import numpy as np
${extra}
class Model:
    def load(self, path):
        self.path = path
    def metadata(self):
        return {"inputs": [{"name": "x", "datatype": "FP32", "shape": [-1, 2]}], "outputs": [{"name": "y", "datatype": "FP32", "shape": [-1, 2]}]}
    def predict(self, inputs):
        x = inputs["x"]
${predictBody.split('\n').map((l) => `        ${l}`).join('\n')}
        return {"y": x * 2}
`;
}
