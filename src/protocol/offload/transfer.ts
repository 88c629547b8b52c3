import type { InferRequest, Tensor } from '../../tensor/index.ts';

/**
 * A decoded request crosses from the decode thread to the event loop without being copied: its typed arrays'
 * buffers are transferred. BYTES tensors, arrays of many small buffers that structured cloning would rebuild one
 * by one in a single step, cross as one packed buffer and are cut apart again in slices (unpackRequest).
 */
export interface PackedBytes {
  readonly packed: Uint8Array;
  /** End offset of each element in `packed`. */
  readonly ends: Uint32Array;
}

type WireTensor = Omit<Tensor, 'data'> & { readonly data: Tensor['data'] | PackedBytes };
export type WireRequest = Omit<InferRequest, 'inputs'> & { readonly inputs: readonly WireTensor[] };

/** Buffers smaller than this are copied: Node's pooled small buffers cannot be transferred, and copying them costs nothing. */
const TRANSFER_MIN_BYTES = 64 * 1024;
/** BYTES elements cut apart between two yields to the event loop. */
const UNPACK_SLICE = 64 * 1024;

/** The request as it crosses, and the buffers to transfer with it. */
export function packRequest(request: InferRequest): { wire: WireRequest; transfer: ArrayBuffer[] } {
  const transfer = new Set<ArrayBuffer>();
  const take = (view: ArrayBufferView) => {
    if (view.buffer instanceof ArrayBuffer && view.buffer.byteLength >= TRANSFER_MIN_BYTES) transfer.add(view.buffer);
  };
  const inputs = request.inputs.map((tensor): WireTensor => {
    if (!Array.isArray(tensor.data)) {
      take(tensor.data);
      return tensor;
    }
    const elements = tensor.data;
    const ends = new Uint32Array(elements.length);
    let size = 0;
    for (let i = 0; i < elements.length; i++) ends[i] = size += elements[i]!.byteLength;
    const packed = new Uint8Array(size);
    let offset = 0;
    for (const element of elements) {
      packed.set(element, offset);
      offset += element.byteLength;
    }
    take(packed);
    take(ends);
    return { ...tensor, data: { packed, ends } };
  });
  return { wire: { ...request, inputs }, transfer: [...transfer] };
}

/** The request again, BYTES elements as Buffers viewing the packed bytes; yields between slices of a long one. */
export async function unpackRequest(wire: WireRequest): Promise<InferRequest> {
  const inputs: Tensor[] = [];
  for (const tensor of wire.inputs) {
    const data = tensor.data;
    if (!isPacked(data)) {
      inputs.push(tensor as Tensor);
      continue;
    }
    const { packed, ends } = data;
    const elements = new Array<Uint8Array>(ends.length);
    let start = 0;
    for (let i = 0; i < ends.length; i++) {
      if (i > 0 && i % UNPACK_SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
      elements[i] = Buffer.from(packed.buffer, packed.byteOffset + start, ends[i]! - start);
      start = ends[i]!;
    }
    inputs.push({ ...tensor, data: elements });
  }
  return { ...wire, inputs };
}

function isPacked(data: WireTensor['data']): data is PackedBytes {
  return !ArrayBuffer.isView(data) && !Array.isArray(data);
}
