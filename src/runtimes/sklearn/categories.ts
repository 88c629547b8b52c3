import type { Column } from '../tabular.ts';
import type { Category } from './document.ts';

/**
 * Finds a cell's position in a fitted category list. Numbers and strings are matched by value; a numeric cell
 * also matches a string category with the same text and the reverse (a client may send codes either way);
 * null / NaN is the missing category.
 */
export class CategoryIndex {
  readonly size: number;
  readonly #strings = new Map<string, number>();
  readonly #numbers = new Map<number, number>();
  readonly #missing: number;

  constructor(categories: readonly Category[]) {
    this.size = categories.length;
    let missing = -1;
    categories.forEach((c, i) => {
      if (c === null) missing = missing === -1 ? i : missing;
      else if (typeof c === 'number') { if (!this.#numbers.has(c)) this.#numbers.set(c, i); }
      else if (!this.#strings.has(c)) this.#strings.set(c, i);
    });
    this.#missing = missing;
  }

  /** Position of row r of the column among the categories, or -1 when unknown. */
  find(column: Column, r: number): number {
    if (column instanceof Float64Array) {
      const v = column[r]!;
      if (Number.isNaN(v)) return this.#missing;
      return this.#numbers.get(v) ?? (this.#strings.size > 0 ? this.#strings.get(String(v)) ?? -1 : -1);
    }
    const s = column[r]!;
    if (s === null) return this.#missing;
    const found = this.#strings.get(s);
    if (found !== undefined) return found;
    if (this.#numbers.size === 0 || s.trim() === '') return -1;
    return this.#numbers.get(Number(s)) ?? -1;
  }
}

export function describeCell(column: Column, r: number): string {
  const v = column[r];
  return v === null || (typeof v === 'number' && Number.isNaN(v)) ? 'a missing value' : `'${String(v)}'`;
}
