import { bitsetOf, ForestBuilder, type FlatForest } from '../trees/forest.ts';
import type { XgbModel, XgbTree } from './model.ts';

export const DEFAULT_LEFT = 1;
export const CATEGORICAL = 2;

/**
 * Compiles trees [first, last) to flat arrays, renumbering nodes in depth-first order (children after their
 * parent, left subtree first: better locality, and a cycle in a corrupt file cannot survive it). DART weights are
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
  // Explicit stack (no recursion: deep lossguide trees must not overflow the JS stack).
  const stack: { node: number; parent: number; isLeft: boolean }[] = [{ node: 0, parent: -1, isLeft: true }];
  const childrenOf = new Map<number, [number, number]>();
  while (stack.length > 0) {
    const { node, parent, isLeft } = stack.pop()!;
    if (seen[node]) fail(`trees[${index}] node ${node} is reachable twice (not a tree)`);
    seen[node] = 1;
    let id: number;
    if (tree.left[node] === -1) {
      id = builder.addLeaf(weight === 1 ? tree.splitCondition[node]! : Math.fround(tree.splitCondition[node]! * Math.fround(weight)));
    } else {
      const categorical = tree.splitType[node] === 1;
      const flags = (tree.defaultLeft[node] ? DEFAULT_LEFT : 0) | (categorical ? CATEGORICAL : 0);
      id = builder.addSplit(tree.splitIndex[node]!, tree.splitCondition[node]!, flags, categorical ? bitsetOf(tree.categories.get(node)!) : undefined);
      childrenOf.set(id, [-1, -1]);
      stack.push({ node: tree.right[node]!, parent: id, isLeft: false }, { node: tree.left[node]!, parent: id, isLeft: true });
    }
    if (parent >= 0) {
      const pair = childrenOf.get(parent)!;
      pair[isLeft ? 0 : 1] = id;
      if (pair[0] >= 0 && pair[1] >= 0) builder.setChildren(parent, pair[0], pair[1]);
    }
  }
}
