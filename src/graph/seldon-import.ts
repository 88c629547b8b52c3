import { ferryError } from '../errors/index.ts';
import type { NodeSpec } from './spec.ts';
import { parseGraph } from './parse.ts';
import type { GraphSpec } from './spec.ts';

/** A node of a SeldonDeployment's `graph` (Seldon Core v1), as far as Ferry reads it. */
interface SeldonNode {
  name?: unknown;
  type?: unknown;
  implementation?: unknown;
  parameters?: unknown;
  children?: unknown;
}

/** Seldon's prepackaged servers: the node is a model; Ferry serves its own model of the node's name. */
const MODEL_SERVERS = new Set(['SKLEARN_SERVER', 'XGBOOST_SERVER', 'TENSORFLOW_SERVER', 'MLFLOW_SERVER', 'TRITON_SERVER', 'HUGGINGFACE_SERVER', 'TEMPO_SERVER']);

export function isSeldonDeployment(document: unknown): boolean {
  return typeof document === 'object' && document !== null && (document as { kind?: unknown }).kind === 'SeldonDeployment';
}

/**
 * A SeldonDeployment as one Ferry graph named after it. Each MODEL, TRANSFORMER and OUTPUT_TRANSFORMER (and
 * prepackaged server) becomes a model node calling the Ferry model of the same name; RANDOM_ABTEST a split router
 * (ratioA); AVERAGE_COMBINER an average combiner; several predictors a split router on their `traffic`, a
 * `shadow: true` predictor a shadow. What has no Ferry equivalent (a custom ROUTER or COMBINER image) is refused
 * with the node's name.
 */
export function seldonToGraphs(document: unknown, fallbackName: string): GraphSpec[] {
  const sd = document as { metadata?: { name?: unknown }; spec?: { name?: unknown; predictors?: unknown } };
  const name = typeof sd.metadata?.name === 'string' ? sd.metadata.name : fallbackName;
  const fail = (where: string, detail: string) => ferryError('FERRY_ERR_SELDON_UNSUPPORTED', { where: `'${name}' ${where}`, detail });
  const predictors = sd.spec?.predictors;
  if (!Array.isArray(predictors) || predictors.length === 0) throw fail('spec.predictors', 'there must be at least one predictor');
  const nodes: NodeSpec[] = [];
  const prefixed = predictors.length > 1;
  const roots = predictors.map((p: { name?: unknown; graph?: unknown; traffic?: unknown; shadow?: unknown }, i: number) => {
    const predictor = typeof p.name === 'string' ? p.name : `predictor-${i + 1}`;
    if (typeof p.graph !== 'object' || p.graph === null) throw fail(`predictor '${predictor}'`, 'has no graph');
    const root = convert(p.graph as SeldonNode, undefined, prefixed ? `${predictor}.` : '', nodes, (where, detail) => fail(`predictor '${predictor}' ${where}`, detail));
    return { predictor, root, traffic: typeof p.traffic === 'number' ? p.traffic : undefined, shadow: p.shadow === true };
  });
  if (roots.length > 1) {
    const live = roots.filter((r) => !r.shadow);
    const shadows = roots.filter((r) => r.shadow);
    if (live.length === 0) throw fail('spec.predictors', 'every predictor is a shadow');
    const given = live.filter((r) => r.traffic !== undefined);
    if (given.length !== live.length && live.length > 1) throw fail('spec.predictors', 'give every predictor that is not a shadow its traffic percentage');
    const weights = live.length === 1 ? [1] : live.map((r) => r.traffic! / 100);
    let output: string = live[0]!.root;
    if (live.length > 1) {
      nodes.push({ name: 'predictors', type: 'router', policy: 'split', mirror: 1, tolerance: 1e-6, epsilon: 0.1, arms: live.map((r, i) => ({ name: r.predictor, node: r.root, weight: weights[i]! })) });
      output = 'predictors';
    }
    if (shadows.length > 0) {
      nodes.push({
        name: 'shadow', type: 'router', policy: 'shadow', mirror: 1, tolerance: 1e-6, epsilon: 0.1,
        arms: [{ name: 'live', node: output }, ...shadows.map((r) => ({ name: r.predictor, node: r.root }))],
      });
      output = 'shadow';
    }
    return [parseGraph({ name: graphName(name), output, nodes }, name)];
  }
  return [parseGraph({ name: graphName(name), output: roots[0]!.root, nodes }, name)];
}

function graphName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** Adds the nodes of a Seldon subtree; returns the node whose value is the subtree's answer. */
function convert(node: SeldonNode, upstream: string | undefined, prefix: string, nodes: NodeSpec[], fail: (where: string, detail: string) => Error): string {
  if (typeof node.name !== 'string' || node.name === '') throw fail('graph', 'a node has no name');
  const name = `${prefix}${node.name}`;
  const where = `node '${node.name}'`;
  const children = Array.isArray(node.children) ? node.children as SeldonNode[] : [];
  const implementation = typeof node.implementation === 'string' ? node.implementation : undefined;
  const type = typeof node.type === 'string' ? node.type : implementation === 'RANDOM_ABTEST' ? 'ROUTER' : implementation === 'AVERAGE_COMBINER' ? 'COMBINER' : 'MODEL';
  const inputs = upstream === undefined ? {} : { inputs: [upstream] };

  if (implementation === 'RANDOM_ABTEST') {
    if (children.length !== 2) throw fail(where, `RANDOM_ABTEST routes between two children, not ${children.length}`);
    const ratio = parameter(node, 'ratioA') ?? 0.5;
    if (!(ratio >= 0 && ratio <= 1)) throw fail(where, 'ratioA is between 0 and 1');
    const arms = children.map((child, i) => ({ name: String(child.name ?? `child-${i}`), node: convert(child, upstream, prefix, nodes, fail), weight: i === 0 ? ratio : 1 - ratio }));
    nodes.push({ name, type: 'router', policy: 'split', mirror: 1, tolerance: 1e-6, epsilon: 0.1, arms });
    return name;
  }
  if (implementation === 'AVERAGE_COMBINER') {
    if (children.length < 2) throw fail(where, 'AVERAGE_COMBINER averages at least two children');
    nodes.push({ name, type: 'combiner', method: 'average', inputs: children.map((child) => convert(child, upstream, prefix, nodes, fail)) });
    return name;
  }
  if (implementation !== undefined && !MODEL_SERVERS.has(implementation)) throw fail(where, `implementation ${implementation} has no Ferry equivalent`);
  if (type === 'ROUTER') throw fail(where, 'a custom ROUTER image cannot run in Ferry; use RANDOM_ABTEST or a Ferry router (split, ab, header, epsilon_greedy, thompson_sampling)');
  if (type === 'COMBINER') throw fail(where, 'a custom COMBINER image cannot run in Ferry; use AVERAGE_COMBINER or a Ferry combiner (average, weighted_average, majority_vote, concat, max)');
  if (!['MODEL', 'TRANSFORMER', 'OUTPUT_TRANSFORMER'].includes(type)) throw fail(where, `unknown node type ${type}`);
  if (children.length > 1) throw fail(where, `a ${type} passes its answer to one child; ${children.length} children need a ROUTER or COMBINER between them`);

  if (type === 'OUTPUT_TRANSFORMER') {
    // Its children answer first; the node transforms their answer.
    const from = children.length === 1 ? convert(children[0]!, upstream, prefix, nodes, fail) : upstream;
    nodes.push({ name, type: 'model', model: node.name, optional: false, ...(from === undefined ? {} : { inputs: [from] }) });
    return name;
  }
  nodes.push({ name, type: 'model', model: node.name, optional: false, ...inputs });
  return children.length === 1 ? convert(children[0]!, name, prefix, nodes, fail) : name;
}

function parameter(node: SeldonNode, wanted: string): number | undefined {
  if (!Array.isArray(node.parameters)) return undefined;
  const found = (node.parameters as { name?: unknown; value?: unknown }[]).find((p) => p.name === wanted);
  if (found === undefined) return undefined;
  const value = typeof found.value === 'number' ? found.value : Number(found.value);
  return Number.isFinite(value) ? value : NaN;
}
