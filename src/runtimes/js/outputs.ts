import { ferryError } from '../../errors/index.ts';
import { elementCount, isBigIntType, storageFor, type Tensor, type TensorData, type TensorMetadata } from '../../tensor/index.ts';
import type { ModelOutput } from './define-model.ts';

const encoder = new TextEncoder();

/** A JS model's outputs as tensors of its signature, in its order; anything else is the model's fault. */
export function signatureOutputs(model: string, declared: readonly TensorMetadata[], outputs: Record<string, ModelOutput>, rows: number | undefined): Tensor[] {
  const fault = (detail: string) => ferryError('FERRY_ERR_EXECUTION_FAILED', { model, detail });
  if (typeof outputs !== 'object' || outputs === null) throw fault('predict() must return an object of outputs by name');
  return declared.map((spec) => {
    const output = outputs[spec.name];
    if (!output || output.data === undefined) throw fault(`predict() returned no output '${spec.name}' (returned: ${Object.keys(outputs).join(', ') || 'none'})`);
    const data = toData(spec, output.data, fault);
    const shape = output.shape ? [...output.shape] : inferShape(spec.shape, data.length, rows);
    if (!shape || elementCount(shape) !== data.length) throw fault(`output '${spec.name}' has ${data.length} elements, which does not fit shape ${JSON.stringify(shape ?? spec.shape)}; return its shape`);
    return { name: spec.name, datatype: spec.datatype, shape, data };
  });
}

function toData(spec: TensorMetadata, data: ModelOutput['data'], fault: (detail: string) => Error): TensorData {
  if (spec.datatype === 'BYTES') {
    return Array.from(data as ArrayLike<unknown>, (v) => (v instanceof Uint8Array ? v : encoder.encode(String(v))));
  }
  const Storage = storageFor(spec.datatype);
  if (data instanceof Storage) return data;
  const values = Array.from(data as ArrayLike<unknown>);
  if (isBigIntType(spec.datatype)) return Storage === BigInt64Array ? BigInt64Array.from(values, (v) => BigInt(v as number)) : BigUint64Array.from(values, (v) => BigInt(v as number));
  if (values.some((v) => typeof v !== 'number' && typeof v !== 'boolean')) throw fault(`output '${spec.name}' is ${spec.datatype}: its data must be numbers`);
  return (Storage as unknown as { from(values: number[]): TensorData }).from(values.map(Number));
}

/** The shape when the model gave none: the signature's, with a dynamic first dimension taken as the request's rows. */
function inferShape(declared: readonly number[], length: number, rows: number | undefined): number[] | undefined {
  const shape = declared.map((d, i) => (d === -1 && i === 0 && rows !== undefined ? rows : d));
  const unknown = shape.filter((d) => d === -1).length;
  if (unknown === 0) return shape;
  if (unknown > 1) return undefined;
  const known = shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
  return known === 0 || length % known !== 0 ? undefined : shape.map((d) => (d === -1 ? length / known : d));
}
