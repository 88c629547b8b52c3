import { at, expectLength, invalidModel, type CompileContext } from './compile-context.ts';
import { real, type Real, type TreeNode } from './document.ts';

/** One sklearn Tree in typed arrays. `k` values per node: 1 for regression, one per class for classifiers. */
export interface CompiledTree {
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly value: Float64Array;
  readonly k: number;
  /** Per node: a NaN goes left (1) or right (0). Absent in trees from sklearn < 1.3, which had no NaN support. */
  readonly missingLeft?: Uint8Array;
}

export function compileTree(node: TreeNode, width: number, k: number, ctx: CompileContext): CompiledTree {
  const n = node.left.length;
  for (const field of ['right', 'feature', 'threshold', 'value'] as const) expectLength(ctx, field, node[field].length, n);
  if (node.missing_left) expectLength(ctx, 'missing_left', node.missing_left.length, n);
  const value = new Float64Array(n * k);
  node.value.forEach((v, i) => {
    const row = Array.isArray(v) ? (v as Real[]) : [v as Real];
    expectLength(at(ctx, `value/${i}`), 'value', row.length, k);
    row.forEach((x, j) => { value[i * k + j] = real(x); });
  });
  const tree: CompiledTree = {
    left: Int32Array.from(node.left),
    right: Int32Array.from(node.right),
    feature: Int32Array.from(node.feature),
    threshold: Float64Array.from(node.threshold, real),
    value,
    k,
    ...(node.missing_left ? { missingLeft: Uint8Array.from(node.missing_left, Number) } : {}),
  };
  checkStructure(tree.left, tree.right, tree.feature, width, ctx, (i) => tree.left[i] === -1);
  return tree;
}

/**
 * Children come after their parent (as sklearn builds them), so every walk ends; features are in range.
 * Shared by sklearn trees and histogram-boosting trees.
 */
export function checkStructure(
  left: Int32Array, right: Int32Array, feature: Int32Array, width: number, ctx: CompileContext, isLeaf: (i: number) => boolean,
): void {
  const n = left.length;
  for (let i = 0; i < n; i++) {
    if (isLeaf(i)) continue;
    const l = left[i]!;
    const r = right[i]!;
    if (!(l > i && l < n && r > i && r < n)) throw invalidModel(ctx, `node ${i} has children ${l}, ${r} outside (${i}, ${n})`);
    if (feature[i]! >= width) throw invalidModel(ctx, `node ${i} splits on feature ${feature[i]}, the input has ${width}`);
  }
}

/** Index of the leaf row r reaches. sklearn trees compare the input cast to float32 against a float64 threshold. */
export function leafIndex(tree: CompiledTree, columns: readonly Float64Array[], r: number): number {
  const { left, right, feature, threshold, missingLeft } = tree;
  let i = 0;
  while (left[i] !== -1) {
    const x = Math.fround(columns[feature[i]!]![r]!);
    if (Number.isNaN(x) && missingLeft) i = missingLeft[i] ? left[i]! : right[i]!;
    else i = x <= threshold[i]! ? left[i]! : right[i]!;
  }
  return i;
}
