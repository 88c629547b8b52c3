import type { AlgorithmCompiler, AlgorithmPlan, ModelEnv } from '../model-types.ts';
import { invalid, unsupported } from '../pmml-error.ts';
import { compilePredicate, predicateChild, type Predicate } from '../predicate.ts';
import type { ModelResult, RowContext, Value } from '../types.ts';
import { castValue, valueKey } from '../values.ts';
import { childrenNamed, type XmlElement } from '../xml.ts';

interface TreeNode {
  readonly predicate: Predicate;
  readonly children: TreeNode[];
  readonly id: string | undefined;
  readonly recordCount: number;
  /** The node's own prediction, precomputed at load; null when it has no score. */
  readonly result: ModelResult | null;
  /** Record counts per category (classification), for aggregateNodes. */
  readonly counts: ReadonlyMap<string, number>;
  defaultChild: TreeNode | undefined;
}

const MISSING_STRATEGIES = new Set(['none', 'lastPrediction', 'nullPrediction', 'defaultChild', 'weightedConfidence', 'aggregateNodes']);

export const compileTreeModel: AlgorithmCompiler = (env: ModelEnv): AlgorithmPlan => {
  const { element } = env;
  const strategy = element.attrs['missingValueStrategy'] ?? 'none';
  if (!MISSING_STRATEGIES.has(strategy)) throw unsupported(element, `missingValueStrategy '${strategy}' is not supported`);
  const noTrueChild = element.attrs['noTrueChildStrategy'] ?? 'returnNullPrediction';
  if (noTrueChild !== 'returnNullPrediction' && noTrueChild !== 'returnLastPrediction') throw unsupported(element, `noTrueChildStrategy '${noTrueChild}' is not supported`);
  const rootElement = childrenNamed(element, 'Node')[0];
  if (!rootElement) throw invalid(element, 'a TreeModel needs a Node');
  const categories = new Map<string, Value>();
  for (const c of env.target?.categories ?? []) categories.set(valueKey(c), c);
  const root = compileNode(rootElement, env, categories);
  const returnLast = noTrueChild === 'returnLastPrediction';

  const descend = (ctx: RowContext): ModelResult | null => {
    const rootTrue = root.predicate(ctx);
    if (rootTrue !== true) return null;
    let node = root;
    for (;;) {
      if (node.children.length === 0) return node.result;
      let next: TreeNode | undefined;
      for (const child of node.children) {
        const r = child.predicate(ctx);
        if (r === true) {
          next = child;
          break;
        }
        if (r === null) {
          switch (strategy) {
            case 'lastPrediction':
              return node.result;
            case 'nullPrediction':
              return null;
            case 'defaultChild':
              if (!node.defaultChild) return node.result;
              next = node.defaultChild;
              break;
            case 'weightedConfidence':
            case 'aggregateNodes':
              return blend(node, ctx, strategy === 'aggregateNodes', categories);
            default:
              continue; // 'none': an unknown predicate counts as false
          }
          break;
        }
      }
      if (!next) return returnLast ? node.result : null;
      node = next;
    }
  };
  return { evaluate: descend };
};

function compileNode(element: XmlElement, env: ModelEnv, categories: Map<string, Value>): TreeNode {
  for (const child of element.children) {
    if (child.name === 'Regression' || child.name === 'DecisionTree') throw unsupported(child, 'embedded models in tree nodes are not supported');
  }
  const predicate = compilePredicate(predicateChild(element), env.scope);
  const children = childrenNamed(element, 'Node').map((c) => compileNode(c, env, categories));
  const result = nodeResult(element, env, categories);
  const counts = new Map<string, number>();
  for (const sd of childrenNamed(element, 'ScoreDistribution')) counts.set(valueKey(sd.attrs['value'] ?? ''), Number(sd.attrs['recordCount'] ?? '0'));
  const node: TreeNode = {
    predicate,
    children,
    id: element.attrs['id'],
    recordCount: Number(element.attrs['recordCount'] ?? [...counts.values()].reduce((a, b) => a + b, 0)),
    result,
    counts,
    defaultChild: undefined,
  };
  const defaultId = element.attrs['defaultChild'];
  if (defaultId !== undefined) {
    node.defaultChild = children.find((c) => c.id === defaultId);
    if (!node.defaultChild) throw invalid(element, `defaultChild '${defaultId}' is not a child of this node`);
  }
  return node;
}

function nodeResult(element: XmlElement, env: ModelEnv, categories: Map<string, Value>): ModelResult | null {
  const score = element.attrs['score'];
  const entityId = element.attrs['id'] ?? null;
  if (env.functionName === 'regression') {
    if (score === undefined) return null;
    const n = Number(score);
    if (Number.isNaN(n)) throw invalid(element, `score '${score}' is not a number`);
    return { predicted: env.floatMath ? Math.fround(n) : n, entityId };
  }
  const targetType = env.target?.dataType ?? 'string';
  const distributions = childrenNamed(element, 'ScoreDistribution');
  const probabilities = new Map<string, number>();
  const confidences = new Map<string, number>();
  const total = distributions.reduce((s, d) => s + Number(d.attrs['recordCount'] ?? '0'), 0);
  let best: Value = null;
  let bestP = -1;
  for (const d of distributions) {
    const text = d.attrs['value'];
    if (text === undefined) throw invalid(d, 'value is required');
    const category = castValue(text, targetType) ?? text;
    const key = valueKey(category);
    if (!categories.has(key)) categories.set(key, category);
    const p = d.attrs['probability'] !== undefined ? Number(d.attrs['probability']) : total > 0 ? Number(d.attrs['recordCount'] ?? '0') / total : 0;
    probabilities.set(key, p);
    if (d.attrs['confidence'] !== undefined) confidences.set(key, Number(d.attrs['confidence']));
    if (p > bestP) {
      bestP = p;
      best = category;
    }
  }
  const predicted = score !== undefined ? castValue(score, targetType) ?? score : best;
  if (predicted === null) return null;
  if (distributions.length === 0) probabilities.set(valueKey(predicted), 1);
  return {
    predicted,
    probabilities,
    entityId,
    ...(confidences.size > 0 ? { confidences } : {}),
  };
}

/**
 * weightedConfidence / aggregateNodes: when a split cannot be decided, follow every child and combine their
 * distributions, weighting by record counts (weightedConfidence) or summing counts (aggregateNodes).
 */
function blend(node: TreeNode, ctx: RowContext, aggregate: boolean, categories: Map<string, Value>): ModelResult | null {
  const totals = new Map<string, number>();
  const visit = (n: TreeNode, weight: number): void => {
    const trueChild = n.children.find((c) => c.predicate(ctx) === true);
    if (n.children.length === 0 || (!trueChild && !n.children.some((c) => c.predicate(ctx) === null))) {
      const source = aggregate ? n.counts : n.result?.probabilities;
      if (!source) return;
      for (const [k, v] of source) totals.set(k, (totals.get(k) ?? 0) + (aggregate ? v : v * weight));
      return;
    }
    if (trueChild) return visit(trueChild, weight);
    for (const c of n.children) {
      if (c.predicate(ctx) === false) continue;
      visit(c, n.recordCount > 0 ? (weight * c.recordCount) / n.recordCount : 0);
    }
  };
  visit(node, 1);
  const sum = [...totals.values()].reduce((a, b) => a + b, 0);
  if (sum <= 0) return null;
  const probabilities = new Map<string, number>();
  let best: string | undefined;
  for (const [k, v] of totals) {
    probabilities.set(k, v / sum);
    if (best === undefined || v > totals.get(best)!) best = k;
  }
  return { predicted: categories.get(best!) ?? best!, probabilities };
}
