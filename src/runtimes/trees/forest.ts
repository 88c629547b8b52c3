/**
 * A forest compiled to flat typed arrays: the hot path reads only these, never per-node objects.
 * Node n is a leaf when feature[n] < 0; then value[n] is its output. Otherwise value[n] is the split
 * threshold, left[n]/right[n] the children and flags[n] the runtime's split bits. A categorical node's
 * category set is a bitset: words [catStart[n], catStart[n] + catWords[n]) of `bitsets`.
 */
export interface FlatForest<V extends Float32Array | Float64Array> {
  readonly feature: Int32Array;
  readonly value: V;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly flags: Uint8Array;
  readonly catStart: Int32Array;
  readonly catWords: Int32Array;
  readonly bitsets: Uint32Array;
  /** Per tree: its root node and the output group (class or target) it adds to. */
  readonly roots: Int32Array;
  readonly groups: Int32Array;
}

export class ForestBuilder {
  readonly #feature: number[] = [];
  readonly #value: number[] = [];
  readonly #left: number[] = [];
  readonly #right: number[] = [];
  readonly #flags: number[] = [];
  readonly #catStart: number[] = [];
  readonly #catWords: number[] = [];
  readonly #bitsets: number[] = [];
  readonly #roots: number[] = [];
  readonly #groups: number[] = [];

  get nodeCount(): number {
    return this.#feature.length;
  }

  /** Starts a tree: the next node added is its root. */
  beginTree(group: number): void {
    this.#roots.push(this.#feature.length);
    this.#groups.push(group);
  }

  addLeaf(value: number): number {
    return this.#push(-1, value, 0, 0, 0);
  }

  /** Reserves two adjacent nodes (children of one split, right = left + 1), filled later with fillLeaf/fillSplit. */
  reservePair(): number {
    const left = this.#push(-1, 0, 0, 0, 0);
    this.#push(-1, 0, 0, 0, 0);
    return left;
  }

  fillLeaf(node: number, value: number): void {
    this.#value[node] = value;
  }

  fillSplit(node: number, feature: number, threshold: number, flags: number, categories?: ArrayLike<number>): void {
    this.#feature[node] = feature;
    this.#value[node] = threshold;
    this.#flags[node] = flags;
    if (categories) {
      this.#catStart[node] = this.#bitsets.length;
      this.#catWords[node] = categories.length;
      for (let i = 0; i < categories.length; i++) this.#bitsets.push(categories[i]! >>> 0);
    }
  }

  /** A split whose children are set later with setChildren; `categories` is the set as a bitset. */
  addSplit(feature: number, threshold: number, flags: number, categories?: ArrayLike<number>): number {
    if (!categories) return this.#push(feature, threshold, flags, 0, 0);
    const start = this.#bitsets.length;
    for (let i = 0; i < categories.length; i++) this.#bitsets.push(categories[i]! >>> 0);
    return this.#push(feature, threshold, flags, start, categories.length);
  }

  setChildren(node: number, left: number, right: number): void {
    this.#left[node] = left;
    this.#right[node] = right;
  }

  build<V extends Float32Array | Float64Array>(Values: { from(values: number[]): V }): FlatForest<V> {
    return {
      feature: Int32Array.from(this.#feature),
      value: Values.from(this.#value),
      left: Int32Array.from(this.#left),
      right: Int32Array.from(this.#right),
      flags: Uint8Array.from(this.#flags),
      catStart: Int32Array.from(this.#catStart),
      catWords: Int32Array.from(this.#catWords),
      bitsets: Uint32Array.from(this.#bitsets),
      roots: Int32Array.from(this.#roots),
      groups: Int32Array.from(this.#groups),
    };
  }

  #push(feature: number, value: number, flags: number, catStart: number, catWords: number): number {
    const index = this.#feature.length;
    this.#feature.push(feature);
    this.#value.push(value);
    this.#left.push(-1);
    this.#right.push(-1);
    this.#flags.push(flags);
    this.#catStart.push(catStart);
    this.#catWords.push(catWords);
    return index;
  }
}

/** A bitset (32-bit words) holding `codes`. */
export function bitsetOf(codes: readonly number[]): Uint32Array {
  const max = codes.reduce((m, c) => Math.max(m, c), -1);
  const words = new Uint32Array(max < 0 ? 0 : (max >>> 5) + 1);
  for (const code of codes) words[code >>> 5] |= 1 << (code & 31);
  return words;
}
