/**
 * The shape of one decision tree as a file states it, checked before anything is compiled from it: walked from the
 * root, no node may be reached twice (a cycle would make every walk that enters it loop forever; a node with two
 * parents is not a tree either). Nodes the walk never reaches are left alone: they are never evaluated.
 */
export interface TreeShape {
  /** Nodes on the longest path from the root to a leaf (1 for a tree that is one leaf). */
  readonly depth: number;
}

/**
 * `where` names the tree in errors; `nodes` is the number of node ids (0..nodes-1, the root is 0); `children(n)` gives
 * a split's two child ids, already checked to be in range, or undefined for a leaf; `name(n)` names a node ('node 3').
 * `fail` throws.
 */
export function checkTreeShape(
  where: string,
  nodes: number,
  children: (node: number) => readonly [number, number] | undefined,
  name: (node: number) => string,
  fail: (detail: string) => never,
): TreeShape {
  const depthOf = new Int32Array(nodes); // 0 = not reached yet
  const stack: number[] = [0];
  depthOf[0] = 1;
  let depth = 1;
  // Depth-first with an explicit stack: a tree thousands of levels deep must not overflow the JS stack.
  while (stack.length > 0) {
    const node = stack.pop()!;
    const pair = children(node);
    if (!pair) continue;
    for (const child of pair) {
      if (depthOf[child] !== 0) fail(`${where} ${name(child)} is reached again from ${name(node)} (the tree has a cycle or a node with two parents)`);
      depthOf[child] = depthOf[node]! + 1;
      if (depthOf[child]! > depth) depth = depthOf[child]!;
      stack.push(child);
    }
  }
  return { depth };
}

/** Nodes one unit of the evaluation budget stands for: a walk down a tree this deep or less costs one unit. */
const NODES_PER_WALK = 16;

/**
 * What walking trees of these depths once costs, in units of a shallow tree's walk: a chunk of rows is sized by it,
 * so that a forest of very deep trees yields to the event loop as often as a forest of many shallow ones.
 */
export function walkCost(depths: Iterable<number>): number {
  let units = 0;
  for (const depth of depths) units += Math.max(1, Math.ceil(depth / NODES_PER_WALK));
  return units;
}
