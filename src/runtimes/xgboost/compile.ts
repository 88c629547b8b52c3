import { bitsetOf, ForestBuilder, type FlatForest } from '../trees/forest.ts';
import type { XgbModel, XgbTree } from './model.ts';

export const DEFAULT_LEFT = 1;
export const CATEGORICAL = 2;

/**
 * Compiles trees [first, last) to flat arrays, renumbering nodes breadth-first with sibling pairs adjacent
 * (better locality, one array read less per node, and a cycle in a corrupt file cannot survive it). DART weights are
 * folded into the leaves as float32(leaf × weight), the product XGBoost adds.
 */
export function compileXgbForest(model: XgbModel, first: number, last: number, fail: (detail: string) => never): FlatForest<Float32Array> {
  const builder = new ForestBuilder();
  for (let t = first; t < last; t++) {
    builder.beginTree(model.treeInfo[t]!);
    compileTree(builder, model.trees[t]!, model.weightDrop?.[t] ?? 1, t, fail);
  }
  return builder.build(Float32Array);
}

function compileTree(builder: ForestBuilder, tree: XgbTree, weight: number, index: number, fail: (detail: string) => never): void {
  const seen = new Uint8Array(tree.left.length);
  // Breadth-first with an explicit queue (deep lossguide trees must not overflow the JS stack); the two
  // children of a split are allocated side by side, so the walk computes right as left + 1.
  const root = builder.reservePair(); // slot root + 1 stays an unused leaf: keeps every pair aligned
  const queue: [number, number][] = [[0, root]];
  for (let head = 0; head < queue.length; head++) {
    const [node, id] = queue[head]!;
    if (seen[node]) fail(`trees[${index}] node ${node} is reachable twice (not a tree)`);
    seen[node] = 1;
    if (tree.left[node] === -1) {
      builder.fillLeaf(id, weight === 1 ? tree.splitCondition[node]! : Math.fround(tree.splitCondition[node]! * Math.fround(weight)));
      continue;
    }
    const categorical = tree.splitType[node] === 1;
    const flags = (tree.defaultLeft[node] ? DEFAULT_LEFT : 0) | (categorical ? CATEGORICAL : 0);
    builder.fillSplit(id, tree.splitIndex[node]!, tree.splitCondition[node]!, flags, categorical ? bitsetOf(tree.categories.get(node)!) : undefined);
    const left = builder.reservePair();
    builder.setChildren(id, left, left + 1);
    queue.push([tree.left[node]!, left], [tree.right[node]!, left + 1]);
  }
}
