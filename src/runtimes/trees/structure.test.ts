import { describe, expect, it } from 'vitest';
import { checkTreeShape, walkCost } from './structure.ts';

const fail = (detail: string): never => {
  throw new Error(detail);
};

/** A tree as XGBoost stores it: left/right child per node, -1 for a leaf. */
function shapeOf(left: number[], right: number[]) {
  return checkTreeShape('tree', left.length, (n) => (left[n] === -1 ? undefined : [left[n]!, right[n]!]), (n) => `node ${n}`, fail);
}

describe('tree shape', () => {
  it('measures the depth of a tree', () => {
    expect(shapeOf([-1], [-1]).depth).toBe(1);
    expect(shapeOf([1, -1, 3, -1, -1], [2, -1, 4, -1, -1]).depth).toBe(3);
    // The deep side is walked first, a shallower pair last: the depth is still the deepest.
    expect(shapeOf([1, 7, 3, -1, 5, -1, -1, -1, -1], [2, 8, 4, -1, 6, -1, -1, -1, -1]).depth).toBe(4);
  });

  it('refuses a cycle through the root and a node with two parents, naming both nodes', () => {
    expect(() => shapeOf([1, -1, 0, -1, -1], [2, -1, 4, -1, -1])).toThrow('tree node 0 is reached again from node 2 (the tree has a cycle or a node with two parents)');
    expect(() => shapeOf([1, 3, -1, -1], [2, 3, -1, -1])).toThrow('tree node 3 is reached again from node 1');
    expect(() => shapeOf([0], [0])).toThrow('tree node 0 is reached again from node 0');
  });

  it('walks a chain 200,000 nodes deep without overflowing the stack', () => {
    const n = 400_001;
    const left = Array.from({ length: n }, (_, i) => (i < 200_000 ? i + 1 : -1));
    const right = Array.from({ length: n }, (_, i) => (i < 200_000 ? 200_001 + i : -1));
    expect(shapeOf(left, right).depth).toBe(200_001);
  });

  it('leaves nodes the root never reaches alone (XGBoost keeps deleted nodes in its arrays)', () => {
    expect(shapeOf([1, -1, -1, 0, -1], [2, -1, -1, 4, -1]).depth).toBe(2);
  });
});

describe('walk cost', () => {
  it('counts a tree of depth 16 or less as one walk and a deeper one per 16 levels', () => {
    expect(walkCost([])).toBe(0);
    expect(walkCost([1, 6, 16])).toBe(3);
    expect(walkCost([17])).toBe(2);
    expect(walkCost([20_000])).toBe(1250);
  });
});
