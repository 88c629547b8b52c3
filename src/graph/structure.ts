import { ferryError } from '../errors/index.ts';
import type { GraphSpec, NodeSpec } from './spec.ts';

/** Where a node's value comes from: its inputs, and for a router its arms. */
export function upstreamOf(node: NodeSpec): readonly string[] {
  if (node.type === 'router') return node.arms.map((arm) => arm.node);
  return node.inputs ?? [];
}

const WEIGHTED = new Set(['split', 'ab']);

/** Checks what needs no model: unique names, known references, no cycle, the output exists, weights sum to 1. */
export function checkStructure(spec: GraphSpec): void {
  const invalid = (node: string, detail: string) => ferryError('FERRY_ERR_GRAPH_INVALID', { graph: spec.name, node, detail });
  const byName = new Map<string, NodeSpec>();
  for (const node of spec.nodes) {
    if (byName.has(node.name)) throw invalid(node.name, 'two nodes have this name');
    byName.set(node.name, node);
  }
  if (!byName.has(spec.output)) throw invalid(spec.output, 'the output names no node');
  for (const node of spec.nodes) {
    for (const from of upstreamOf(node)) {
      if (!byName.has(from)) throw invalid(node.name, `'${from}' names no node`);
      if (from === node.name) throw invalid(node.name, 'a node cannot take its own output');
    }
    if (node.type === 'router') checkRouter(node, invalid);
    if ((node.type === 'transformer' || node.type === 'output_transformer') && (node.steps === undefined) === (node.model === undefined)) {
      throw invalid(node.name, 'a transformer has either steps (built-in) or model (a model served from code)');
    }
    if ((node.type === 'transformer' || node.type === 'output_transformer') && node.version !== undefined && node.model === undefined) {
      throw invalid(node.name, 'version goes with model');
    }
    if (node.type === 'combiner' && node.method === 'weighted_average') {
      if (node.weights?.length !== node.inputs.length) throw invalid(node.name, `weighted_average needs one weight per input (${node.inputs.length})`);
      checkSum(node.weights, (detail) => invalid(node.name, detail));
    }
  }
  const cycle = findCycle(spec.nodes);
  if (cycle) throw invalid(cycle[0]!, `cycle: ${cycle.join(' -> ')}`);
}

function checkRouter(node: Extract<NodeSpec, { type: 'router' }>, invalid: (node: string, detail: string) => Error): void {
  const names = new Set<string>();
  for (const arm of node.arms) {
    if (names.has(arm.name)) throw invalid(node.name, `two arms are named '${arm.name}'`);
    names.add(arm.name);
  }
  if (WEIGHTED.has(node.policy)) {
    if (node.arms.some((arm) => arm.weight === undefined)) throw invalid(node.name, `a ${node.policy} router gives every arm a weight`);
    checkSum(node.arms.map((arm) => arm.weight!), (detail) => invalid(node.name, detail));
  }
  if (node.policy === 'shadow' && node.arms.length < 2) throw invalid(node.name, 'a shadow router has a primary arm and at least one shadow arm');
  if (node.policy === 'header') {
    if (!node.match) throw invalid(node.name, 'a header router needs match: {header or parameter, values, default}');
    if (!node.match.header && !node.match.parameter) throw invalid(node.name, 'match names a header or a parameter');
    for (const arm of [...Object.values(node.match.values), node.match.default]) {
      if (!names.has(arm)) throw invalid(node.name, `match names arm '${arm}', which the router does not have`);
    }
  }
  if (node.gates) {
    if (!WEIGHTED.has(node.policy) || node.arms.length !== 2) throw invalid(node.name, 'gates step the canary of a split router with two arms');
    if (!names.has(node.gates.canary)) throw invalid(node.name, `gates name canary '${node.gates.canary}', which the router does not have`);
    const steps = node.gates.steps;
    if (steps.some((w, i) => i > 0 && w < steps[i - 1]!)) throw invalid(node.name, 'gate steps go up');
  }
}

function checkSum(weights: readonly number[], invalid: (detail: string) => Error): void {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-6) throw invalid(`weights sum to ${Number(sum.toFixed(6))}, not 1`);
}

/** A cycle as the node names along it, or undefined. */
function findCycle(nodes: readonly NodeSpec[]): string[] | undefined {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'open') return [...path.slice(path.indexOf(name)), name];
    state.set(name, 'open');
    path.push(name);
    for (const next of upstreamOf(byName.get(name)!)) {
      const found = visit(next);
      if (found) return found;
    }
    path.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const node of nodes) {
    const found = visit(node.name);
    if (found) return found;
  }
  return undefined;
}
