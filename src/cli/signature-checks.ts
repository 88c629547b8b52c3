import type { ModelSignature } from '../runtimes/runtime.ts';
import { elementCount, type Tensor, type TensorMetadata } from '../tensor/index.ts';

const shapeText = (shape: readonly number[]) => `[${shape.join(',')}]`;

/** What a served signature must hold for clients to use it: inputs and outputs, each named once, with valid shapes. */
export function signatureProblems(signature: ModelSignature): string[] {
  const problems: string[] = [];
  if (signature.inputs.length === 0) problems.push('the signature declares no inputs');
  if (signature.outputs.length === 0) problems.push('the signature declares no outputs');
  for (const [kind, tensors] of [['input', signature.inputs], ['output', signature.outputs]] as const) {
    const seen = new Set<string>();
    for (const tensor of tensors) {
      if (tensor.name === '') problems.push(`an ${kind} has no name`);
      if (seen.has(tensor.name)) problems.push(`${kind} '${tensor.name}' is declared more than once`);
      seen.add(tensor.name);
      if (!tensor.shape.every((d) => Number.isInteger(d) && d >= -1)) problems.push(`${kind} '${tensor.name}' has an invalid shape ${shapeText(tensor.shape)}`);
    }
  }
  return problems;
}

/**
 * Whether a model's answer keeps its own signature: every output declared, of the declared datatype, of a shape the
 * declaration allows (-1 matches any size), holding as many elements as its shape says; and, unless the request
 * asked for some outputs only (`complete` false), every declared output present.
 */
export function outputProblems(declared: readonly TensorMetadata[], outputs: readonly Tensor[], complete = true): string[] {
  const problems: string[] = [];
  for (const output of outputs) {
    const spec = declared.find((d) => d.name === output.name);
    if (!spec) {
      problems.push(`the answer has output '${output.name}', which the signature does not declare`);
      continue;
    }
    if (output.datatype !== spec.datatype) problems.push(`output '${output.name}' is ${output.datatype}, the signature declares ${spec.datatype}`);
    const fits = output.shape.length === spec.shape.length && output.shape.every((d, i) => spec.shape[i] === -1 || spec.shape[i] === d);
    if (!fits) problems.push(`output '${output.name}' has shape ${shapeText(output.shape)}, the signature declares ${shapeText(spec.shape)}`);
    if (output.data.length !== elementCount(output.shape)) problems.push(`output '${output.name}' holds ${output.data.length} elements, its shape ${shapeText(output.shape)} needs ${elementCount(output.shape)}`);
  }
  for (const spec of complete ? declared : []) {
    if (!outputs.some((o) => o.name === spec.name)) problems.push(`the answer lacks output '${spec.name}', which the signature declares`);
  }
  return problems;
}

/**
 * An MLflow folder's declared signature against the one Ferry serves. Input names must agree (clients built on the
 * MLflow signature would otherwise send what Ferry refuses); a different datatype is a warning, since Ferry's
 * numeric runtimes convert.
 */
export function mlflowMismatches(mlflow: { inputs: readonly TensorMetadata[]; outputs: readonly TensorMetadata[] }, served: ModelSignature): { problems: string[]; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  for (const input of mlflow.inputs) {
    const match = served.inputs.find((s) => s.name === input.name);
    if (!match) {
      problems.push(`MLmodel declares input '${input.name}', which Ferry does not serve (inputs: ${served.inputs.map((s) => s.name).join(', ')})`);
      continue;
    }
    if (match.datatype !== input.datatype) warnings.push(`MLmodel declares input '${input.name}' as ${input.datatype}, Ferry serves it as ${match.datatype}`);
  }
  for (const input of served.inputs) {
    if (mlflow.inputs.length > 0 && !mlflow.inputs.some((m) => m.name === input.name)) problems.push(`Ferry serves input '${input.name}', which MLmodel does not declare`);
  }
  return { problems, warnings };
}
