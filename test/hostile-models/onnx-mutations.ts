/**
 * Hostile variants of a real ONNX model (examples/models/simple: INT32 [batch,16] INPUT0, INPUT1 → their sum and
 * difference), made by editing its protobuf fields. Field numbers are onnx.proto's.
 */
import { bytesField, decodeMessage, encodeMessage, replaceField, subMessage, varintField, type Field } from './protobuf-wire.ts';

const MODEL = { irVersion: 1, opsetImport: 8, graph: 7 } as const;
const GRAPH = { node: 1, name: 2, initializer: 5, input: 11, output: 12 } as const;
const NODE = { input: 1, output: 2, opType: 4, attribute: 5 } as const;
const ATTRIBUTE = { name: 1, graph: 6, type: 20 } as const;
const ATTRIBUTE_GRAPH = 5;
const OPSET = { domain: 1, version: 2 } as const;
const TENSOR = { dims: 1, dataType: 2, name: 8, rawData: 9, externalData: 13, dataLocation: 14 } as const;
const TENSOR_INT32 = 6;
const EXTERNAL = 1;
const VALUE_INFO = { type: 2 } as const;
const TYPE = { tensor: 1 } as const;
const TENSOR_TYPE = { shape: 2 } as const;
const SHAPE = { dim: 1 } as const;
const DIM = { value: 1 } as const;

function graphOf(model: Buffer): Field[] {
  return subMessage(decodeMessage(model), MODEL.graph);
}

function withGraph(model: Buffer, graph: readonly Field[]): Buffer {
  return encodeMessage(replaceField(decodeMessage(model), MODEL.graph, 0, bytesField(MODEL.graph, graph)));
}

/** Every input and output declares `size` as its second dimension instead of 16. */
export function hugeDeclaredDims(model: Buffer, size: bigint): Buffer {
  const resize = (valueInfo: Buffer): Field[] => {
    const info = decodeMessage(valueInfo);
    const type = subMessage(info, VALUE_INFO.type);
    const tensor = subMessage(type, TYPE.tensor);
    const shape = subMessage(tensor, TENSOR_TYPE.shape);
    const dims = shape.map((f, i) => (i === 1 && f.no === SHAPE.dim ? bytesField(SHAPE.dim, [varintField(DIM.value, size)]) : f));
    const newTensor = replaceField(tensor, TENSOR_TYPE.shape, 0, bytesField(TENSOR_TYPE.shape, dims));
    const newType = replaceField(type, TYPE.tensor, 0, bytesField(TYPE.tensor, newTensor));
    return replaceField(info, VALUE_INFO.type, 0, bytesField(VALUE_INFO.type, newType));
  };
  const graph = graphOf(model).map((f) => (f.wire === 2 && (f.no === GRAPH.input || f.no === GRAPH.output) ? bytesField(f.no, resize(f.value)) : f));
  return withGraph(model, graph);
}

/** Every input and output declares `extra` more dimensions of size 1 after its two. */
export function extraDims(model: Buffer, extra: number): Buffer {
  const reshape = (valueInfo: Buffer): Field[] => {
    const info = decodeMessage(valueInfo);
    const type = subMessage(info, VALUE_INFO.type);
    const tensor = subMessage(type, TYPE.tensor);
    const shape = [...subMessage(tensor, TENSOR_TYPE.shape), ...Array.from({ length: extra }, () => bytesField(SHAPE.dim, [varintField(DIM.value, 1)]))];
    const newTensor = replaceField(tensor, TENSOR_TYPE.shape, 0, bytesField(TENSOR_TYPE.shape, shape));
    const newType = replaceField(type, TYPE.tensor, 0, bytesField(TYPE.tensor, newTensor));
    return replaceField(info, VALUE_INFO.type, 0, bytesField(VALUE_INFO.type, newType));
  };
  const graph = graphOf(model).map((f) => (f.wire === 2 && (f.no === GRAPH.input || f.no === GRAPH.output) ? bytesField(f.no, reshape(f.value)) : f));
  return withGraph(model, graph);
}

/** The Sub node reads an INT32 initializer 'W' instead of INPUT1; `tensor` describes W (dims, data or external data). */
function withWeights(model: Buffer, tensor: readonly Field[]): Buffer {
  const graph = graphOf(model);
  const nodes = graph.filter((f) => f.no === GRAPH.node);
  const sub = decodeMessage(nodes[1]!.value as Buffer);
  const subReadingW = replaceField(sub, NODE.input, 1, bytesField(NODE.input, 'W'));
  const replaced = replaceField(graph, GRAPH.node, 1, bytesField(GRAPH.node, subReadingW));
  return withGraph(model, [...replaced, bytesField(GRAPH.initializer, [bytesField(TENSOR.name, 'W'), ...tensor])]);
}

/** W declares [2^31, 2^31] elements and holds 4 bytes. */
export function absurdInitializer(model: Buffer): Buffer {
  return withWeights(model, [
    varintField(TENSOR.dims, 2n ** 31n), varintField(TENSOR.dims, 2n ** 31n), varintField(TENSOR.dataType, TENSOR_INT32),
    bytesField(TENSOR.rawData, Buffer.alloc(4)),
  ]);
}

/** W's 16 INT32 values live in an external file at `location` (relative to the model file, as ONNX defines it). */
export function externalWeights(model: Buffer, location: string): Buffer {
  const entry = (key: string, value: string) => bytesField(TENSOR.externalData, [bytesField(1, key), bytesField(2, value)]);
  return withWeights(model, [
    varintField(TENSOR.dims, 16), varintField(TENSOR.dataType, TENSOR_INT32),
    entry('location', location), entry('offset', '0'), entry('length', '64'), varintField(TENSOR.dataLocation, EXTERNAL),
  ]);
}

/** The main graph's first node becomes an If whose then-branch holds another If, `depth` levels down. */
export function nestedSubgraphs(model: Buffer, depth: number): Buffer {
  const leaf: Field[] = [
    bytesField(GRAPH.node, [bytesField(NODE.input, 'INPUT0'), bytesField(NODE.output, 'leaf_out'), bytesField(NODE.opType, 'Identity')]),
    bytesField(GRAPH.name, 'leaf'),
    bytesField(GRAPH.output, [bytesField(1, 'leaf_out')]),
  ];
  let branch = leaf;
  for (let level = 0; level < depth; level++) {
    const out = `out_${level}`;
    branch = [
      bytesField(GRAPH.node, [
        bytesField(NODE.input, 'cond'), bytesField(NODE.output, out), bytesField(NODE.opType, 'If'),
        bytesField(NODE.attribute, [bytesField(ATTRIBUTE.name, 'then_branch'), bytesField(ATTRIBUTE.graph, branch), varintField(ATTRIBUTE.type, ATTRIBUTE_GRAPH)]),
        bytesField(NODE.attribute, [bytesField(ATTRIBUTE.name, 'else_branch'), bytesField(ATTRIBUTE.graph, leaf), varintField(ATTRIBUTE.type, ATTRIBUTE_GRAPH)]),
      ]),
      bytesField(GRAPH.name, `level_${level}`),
      bytesField(GRAPH.output, [bytesField(1, out)]),
    ];
  }
  const graph = graphOf(model);
  return withGraph(model, [...graph, ...branch.filter((f) => f.no === GRAPH.node)]);
}

/** The model claims an operator set from the future. */
export function futureOpset(model: Buffer): Buffer {
  const fields = decodeMessage(model).map((f) => (f.no === MODEL.opsetImport ? bytesField(MODEL.opsetImport, [bytesField(OPSET.domain, ''), varintField(OPSET.version, 9999)]) : f));
  return encodeMessage(fields);
}

/** The Add node names an operator no runtime has. */
export function unknownOperator(model: Buffer): Buffer {
  const graph = graphOf(model);
  const add = decodeMessage(graph.find((f) => f.no === GRAPH.node)!.value as Buffer);
  const renamed = add.map((f) => (f.no === NODE.opType ? bytesField(NODE.opType, 'FerryDoesNotExist') : f));
  return withGraph(model, replaceField(graph, GRAPH.node, 0, bytesField(GRAPH.node, renamed)));
}

/** ir_version far beyond any runtime's. */
export function futureIrVersion(model: Buffer): Buffer {
  return encodeMessage(decodeMessage(model).map((f) => (f.no === MODEL.irVersion ? varintField(MODEL.irVersion, 2n ** 40n) : f)));
}
