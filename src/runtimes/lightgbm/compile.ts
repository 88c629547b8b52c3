import { ForestBuilder, type FlatForest } from '../trees/forest.ts';
import type { LgbModel, LgbTree } from './model.ts';

export const DEFAULT_LEFT = 1;
export const CATEGORICAL = 2;
export const MISSING_ZERO = 4;
export const MISSING_NAN = 8;

/** Linear leaves: node → [start, start + count) of features/coeffs, constant; start -1 = a constant leaf. */
export interface LinearLeaves {
  readonly start: Int32Array;
  readonly count: Int32Array;
  readonly constant: Float64Array;
  readonly features: Int32Array;
  readonly coeffs: Float64Array;
}

export interface LgbForest {
  readonly forest: FlatForest<Float64Array>;
  readonly linear?: LinearLeaves;
}

/** Compiles trees [first, last) to flat arrays; tree t adds to class t mod treesPerIteration. */
export function compileLgbForest(model: LgbModel, first: number, last: number): LgbForest {
  const builder = new ForestBuilder();
  const linearNodes = new Map<number, { constant: number; features: readonly number[]; coeffs: readonly number[] }>();
  for (let t = first; t < last; t++) {
    builder.beginTree(t % model.treesPerIteration);
    compileTree(builder, model.trees[t]!, linearNodes);
  }
  const forest = builder.build(Float64Array);
  return linearNodes.size === 0 ? { forest } : { forest, linear: packLinear(builder.nodeCount, linearNodes) };
}

function compileTree(builder: ForestBuilder, tree: LgbTree, linearNodes: Map<number, { constant: number; features: readonly number[]; coeffs: readonly number[] }>): void {
  const internal = tree.numLeaves - 1;
  const addLeaf = (leaf: number): number => {
    const id = builder.addLeaf(tree.leafValue[leaf]!);
    if (tree.linear) linearNodes.set(id, { constant: tree.linear.constant[leaf]!, features: tree.linear.features[leaf]!, coeffs: tree.linear.coeffs[leaf]! });
    return id;
  };
  if (internal === 0) {
    addLeaf(0);
    return;
  }
  // Internal nodes first (ids base..base+internal-1 keep LightGBM's numbering), then leaves.
  const base = builder.nodeCount;
  for (let n = 0; n < internal; n++) {
    const decision = tree.decisionType[n]!;
    const missingType = (decision >> 2) & 3;
    const flags = (decision & 2 ? DEFAULT_LEFT : 0) | (decision & 1 ? CATEGORICAL : 0) | (missingType === 1 ? MISSING_ZERO : 0) | (missingType === 2 ? MISSING_NAN : 0);
    if (decision & 1) {
      const set = tree.threshold[n]!;
      const words = tree.catThreshold.slice(tree.catBoundaries[set]!, tree.catBoundaries[set + 1]!);
      builder.addSplit(tree.splitFeature[n]!, 0, flags, words);
    } else builder.addSplit(tree.splitFeature[n]!, tree.threshold[n]!, flags);
  }
  const leafBase = builder.nodeCount;
  for (let leaf = 0; leaf < tree.numLeaves; leaf++) addLeaf(leaf);
  const resolve = (child: number): number => (child >= 0 ? base + child : leafBase + ~child);
  for (let n = 0; n < internal; n++) builder.setChildren(base + n, resolve(tree.leftChild[n]!), resolve(tree.rightChild[n]!));
}

function packLinear(nodes: number, linearNodes: Map<number, { constant: number; features: readonly number[]; coeffs: readonly number[] }>): LinearLeaves {
  const start = new Int32Array(nodes).fill(-1);
  const count = new Int32Array(nodes);
  const constant = new Float64Array(nodes);
  const features: number[] = [];
  const coeffs: number[] = [];
  for (const [node, leaf] of linearNodes) {
    start[node] = features.length;
    count[node] = leaf.features.length;
    constant[node] = leaf.constant;
    features.push(...leaf.features);
    coeffs.push(...leaf.coeffs);
  }
  return { start, count, constant, features: Int32Array.from(features), coeffs: Float64Array.from(coeffs) };
}
