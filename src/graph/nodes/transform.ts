import { ferryError } from '../../errors/index.ts';
import { elementCount, isBigIntType, isFloatType, type Tensor, type TensorMetadata } from '../../tensor/index.ts';
import { asNumbers, fromNumbers } from '../numeric.ts';
import type { TransformStep } from '../spec.ts';

/**
 * Applies a transformer's built-in steps in order. Pure: tensors in, new tensors out; inputs are never changed.
 * `where` names the graph node in errors.
 */
export function applySteps(steps: readonly TransformStep[], tensors: readonly Tensor[], where: string): Tensor[] {
  let current = [...tensors];
  for (const step of steps) current = applyStep(step, current, where);
  return current;
}

function find<T extends { name: string }>(tensors: readonly T[], name: string, where: string): T {
  const found = tensors.find((t) => t.name === name);
  if (!found) throw ferryError('FERRY_ERR_INPUT_MISSING', { model: where, input: name });
  return found;
}

function applyStep(step: TransformStep, tensors: Tensor[], where: string): Tensor[] {
  if ('rename' in step) {
    for (const from of Object.keys(step.rename)) find(tensors, from, where);
    return tensors.map((t) => (step.rename[t.name] !== undefined ? { ...t, name: step.rename[t.name]! } : t));
  }
  if ('select' in step) return step.select.map((name) => find(tensors, name, where));
  if ('cast' in step) {
    for (const name of Object.keys(step.cast)) find(tensors, name, where);
    return tensors.map((t) => {
      const to = step.cast[t.name];
      if (to === undefined || to === t.datatype) return t;
      return { name: t.name, datatype: to, shape: t.shape, data: fromNumbers(asNumbers(t, `${where} cast`), to) };
    });
  }
  if ('reshape' in step) {
    for (const name of Object.keys(step.reshape)) find(tensors, name, where);
    return tensors.map((t) => (step.reshape[t.name] ? { ...t, shape: reshaped(t, step.reshape[t.name]!, where) } : t));
  }
  for (const name of Object.keys(step.standardize)) find(tensors, name, where);
  return tensors.map((t) => {
    const stats = step.standardize[t.name];
    if (!stats) return t;
    return standardized(t, stats.mean, stats.std, where);
  });
}

/** A new shape for the same elements; one -1 takes what is left, as numpy's reshape. */
function reshaped(tensor: Tensor, target: readonly number[], where: string): number[] {
  const count = elementCount(tensor.shape);
  const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const free = target.filter((d) => d === -1).length;
  if (free > 1) throw ferryError('FERRY_ERR_SHAPE_INVALID', { input: `${where}/${tensor.name}`, shape: `[${target.join(',')}]` });
  const shape = target.map((d) => (d === -1 ? (known === 0 ? 0 : count / known) : d));
  if (elementCount(shape) !== count || !shape.every(Number.isInteger)) {
    throw ferryError('FERRY_ERR_SHAPE_MISMATCH', { input: `${where}/${tensor.name}`, actual: `[${tensor.shape.join(',')}]`, expected: `[${target.join(',')}]` });
  }
  return shape;
}

/** (x - mean) / std per feature along the last dimension (one statistic broadcasts to every feature). */
function standardized(tensor: Tensor, mean: readonly number[], std: readonly number[], where: string): Tensor {
  const width = tensor.shape.length === 0 ? 1 : tensor.shape.at(-1)!;
  for (const [what, stats] of [['mean', mean], ['std', std]] as const) {
    if (stats.length !== 1 && stats.length !== width) {
      throw ferryError('FERRY_ERR_SHAPE_MISMATCH', { input: `${where}/${tensor.name} ${what}`, actual: `[${stats.length}]`, expected: `[1] or [${width}]` });
    }
  }
  // Plain numbers are read in place; only half floats and 64-bit integers are converted first.
  const values = readsAsNumbers(tensor) ? tensor.data as ArrayLike<number> : asNumbers(tensor, `${where} standardize`);
  const datatype = tensor.datatype === 'FP32' ? 'FP32' : 'FP64';
  const out = datatype === 'FP32' ? new Float32Array(values.length) : new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const f = i % width;
    out[i] = (values[i]! - mean[mean.length === 1 ? 0 : f]!) / std[std.length === 1 ? 0 : f]!;
  }
  return { name: tensor.name, datatype, shape: tensor.shape, data: out };
}

function readsAsNumbers(tensor: Tensor): boolean {
  const { datatype } = tensor;
  return datatype !== 'BYTES' && datatype !== 'FP16' && datatype !== 'BF16' && !isBigIntType(datatype);
}

/** What a transformer's steps make of tensors with this metadata, for validation at load (undefined: unknown). */
export function stepsMetadata(steps: readonly TransformStep[], tensors: readonly TensorMetadata[], where: string): TensorMetadata[] {
  let current = [...tensors];
  for (const step of steps) {
    if ('rename' in step) {
      for (const from of Object.keys(step.rename)) find(current, from, where);
      current = current.map((t) => (step.rename[t.name] !== undefined ? { ...t, name: step.rename[t.name]! } : t));
    } else if ('select' in step) {
      current = step.select.map((name) => find(current, name, where));
    } else if ('cast' in step) {
      for (const name of Object.keys(step.cast)) find(current, name, where);
      current = current.map((t) => (step.cast[t.name] ? { ...t, datatype: step.cast[t.name]! } : t));
    } else if ('reshape' in step) {
      for (const name of Object.keys(step.reshape)) find(current, name, where);
      current = current.map((t) => (step.reshape[t.name] ? { ...t, shape: step.reshape[t.name]! } : t));
    } else {
      for (const name of Object.keys(step.standardize)) find(current, name, where);
      current = current.map((t) => (step.standardize[t.name] ? { ...t, datatype: t.datatype === 'FP32' ? 'FP32' : 'FP64' } : t));
    }
  }
  return current;
}

/**
 * What tensors a transformer needs so that its steps give `wanted` (the request inputs a graph advertises when its
 * first node is a transformer): renames run backwards; casts and standardization take numbers of the same kind.
 */
export function stepsNeeds(steps: readonly TransformStep[], wanted: readonly TensorMetadata[]): TensorMetadata[] {
  let current = [...wanted];
  for (const step of [...steps].reverse()) {
    if ('rename' in step) {
      const back = new Map(Object.entries(step.rename).map(([from, to]) => [to, from]));
      current = current.map((t) => (back.has(t.name) ? { ...t, name: back.get(t.name)! } : t));
    } else if ('reshape' in step) {
      current = current.map((t) => (step.reshape[t.name] ? { ...t, shape: [-1] } : t));
    } else if ('standardize' in step) {
      current = current.map((t) => (step.standardize[t.name] && !isFloatType(t.datatype) ? { ...t, datatype: 'FP64' } : t));
    }
  }
  return current;
}
