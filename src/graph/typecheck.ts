import { convertible } from '../dataplane/index.ts';
import { ferryError } from '../errors/index.ts';
import type { TensorMetadata } from '../tensor/index.ts';
import { combinedMetadata } from './nodes/combine.ts';
import { stepsMetadata, stepsNeeds } from './nodes/transform.ts';
import { callsModel, type CallsModelSpec, type GraphSpec, type NodeSpec, type TransformStep } from './spec.ts';

export interface Signature {
  readonly inputs: readonly TensorMetadata[];
  readonly outputs: readonly TensorMetadata[];
  /** 'convert': the model takes any numeric datatype for its FP32/FP64 inputs (the data plane converts them). */
  readonly numericInputs?: 'convert';
}

/**
 * What a node's value is known to be at load: tensors with known metadata, the request itself after some
 * transformer steps (its metadata is what the first model needs), or unknown (a remote whose model is elsewhere).
 */
type Value =
  | { readonly kind: 'known'; readonly tensors: readonly TensorMetadata[] }
  | { readonly kind: 'request'; readonly steps: readonly TransformStep[] }
  | { readonly kind: 'unknown' };

/**
 * Checks that connected nodes agree on names, datatypes and shapes, and works out the graph's own signature: the
 * inputs its first models need (through the transformers before them) and the outputs of its output node.
 * `signatureOf` gives a model node's signature, undefined when its model is not loaded yet (not checked then);
 * an unknown model throws.
 */
export function typecheck(spec: GraphSpec, signatureOf: (node: CallsModelSpec) => Signature | undefined): Signature {
  const byName = new Map(spec.nodes.map((n) => [n.name, n]));
  const values = new Map<string, Value>();
  const needs = new Map<string, TensorMetadata>();
  const invalid = (node: string, detail: string) => ferryError('FERRY_ERR_GRAPH_INVALID', { graph: spec.name, node, detail });

  const incoming = (node: NodeSpec): Value => {
    const from = node.type === 'router' ? [] : node.inputs ?? [];
    if (from.length === 0) return { kind: 'request', steps: [] };
    const parts = from.map(valueOf);
    if (parts.length === 1) return parts[0]!;
    if (parts.some((p) => p.kind !== 'known')) return { kind: 'unknown' };
    return { kind: 'known', tensors: parts.flatMap((p) => (p.kind === 'known' ? p.tensors : [])) };
  };

  const valueOf = (name: string): Value => {
    const done = values.get(name);
    if (done) return done;
    const node = byName.get(name)!;
    const value = compute(node);
    values.set(name, value);
    return value;
  };

  const compute = (node: NodeSpec): Value => {
    if (callsModel(node)) {
      const signature = signatureOf(node);
      const input = incoming(node);
      if (!signature) return { kind: 'unknown' };
      if (input.kind === 'request') for (const need of stepsNeeds(input.steps, signature.inputs)) needs.set(need.name, need);
      if (input.kind === 'known') for (const want of signature.inputs) matchInput(node.name, want, input.tensors, signature, invalid);
      return { kind: 'known', tensors: signature.outputs };
    }
    switch (node.type) {
      case 'remote':
        incoming(node);
        return { kind: 'unknown' };
      case 'transformer':
      case 'output_transformer': {
        const input = incoming(node);
        const steps = node.steps ?? [];
        if (input.kind === 'request') return { kind: 'request', steps: [...input.steps, ...steps] };
        if (input.kind === 'unknown') return input;
        try {
          return { kind: 'known', tensors: stepsMetadata(steps, input.tensors, `${spec.name}/${node.name}`) };
        } catch (error) {
          throw invalid(node.name, (error as Error).message);
        }
      }
      case 'combiner': {
        const parts = node.inputs.map(valueOf);
        if (parts.some((p) => p.kind !== 'known')) return { kind: 'unknown' };
        const chosen = parts.map((p, i) => pickOutput(p.kind === 'known' ? p.tensors : [], node.output, node.name, node.inputs[i]!, invalid));
        return { kind: 'known', tensors: [combinedMetadata(node.method, chosen, node.output ?? chosen[0]!.name, `${spec.name}/${node.name}`)] };
      }
      case 'router': {
        const arms = node.arms.map((arm) => valueOf(arm.node));
        const known = arms.filter((a) => a.kind === 'known');
        const first = known[0];
        if (first === undefined) return arms[0]!;
        for (const other of known.slice(1)) sameOutputs(node.name, first.tensors, other.tensors, invalid);
        return first;
      }
    }
  };

  for (const node of spec.nodes) valueOf(node.name);
  const out = valueOf(spec.output);
  return { inputs: [...needs.values()], outputs: out.kind === 'known' ? out.tensors : [] };
}

function compatibleShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === -1 || b[i] === -1 || d === b[i]);
}

function matchInput(
  node: string, want: TensorMetadata, given: readonly TensorMetadata[], signature: Signature, invalid: (node: string, detail: string) => Error,
): void {
  const found = given.find((t) => t.name === want.name);
  const offered = given.map((t) => `${t.name} ${t.datatype} [${t.shape.join(',')}]`).join(', ');
  if (!found) throw invalid(node, `needs input '${want.name}', its inputs give ${offered || 'nothing'} (rename with a transformer)`);
  if (found.datatype !== want.datatype && !convertible(signature, found.datatype, want.datatype)) throw invalid(node, `input '${want.name}' is ${found.datatype} upstream, the model takes ${want.datatype} (cast with a transformer)`);
  if (!compatibleShape(found.shape, want.shape)) {
    throw invalid(node, `input '${want.name}' has shape [${found.shape.join(',')}] upstream, the model takes [${want.shape.join(',')}] (reshape with a transformer)`);
  }
}

function pickOutput(tensors: readonly TensorMetadata[], name: string | undefined, node: string, from: string, invalid: (node: string, detail: string) => Error): TensorMetadata {
  const found = name === undefined ? tensors[0] : tensors.find((t) => t.name === name);
  if (!found) throw invalid(node, `input '${from}' has no output '${name ?? '(any)'}'`);
  return found;
}

function sameOutputs(node: string, a: readonly TensorMetadata[], b: readonly TensorMetadata[], invalid: (node: string, detail: string) => Error): void {
  for (const t of a) {
    const other = b.find((o) => o.name === t.name);
    if (!other || other.datatype !== t.datatype || !compatibleShape(t.shape, other.shape)) {
      throw invalid(node, `arms answer differently: '${t.name}' ${t.datatype} [${t.shape.join(',')}] against ${other ? `${other.datatype} [${other.shape.join(',')}]` : 'nothing'}`);
    }
  }
}
