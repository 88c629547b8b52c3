/**
 * Category levels of one categorical feature: the training-time category list whose index is the code the
 * trees split on. Lookup accepts the forms a client is likely to send for the same level: the exact string,
 * a number in any spelling ('8', '8.0' for level 8) and booleans in any case ('TRUE' for level true).
 */
export class CategoryLevels {
  readonly levels: readonly string[];
  readonly #codes = new Map<string, number>();

  constructor(levels: readonly (string | number | boolean)[]) {
    this.levels = levels.map((level) => String(level));
    levels.forEach((level, code) => {
      const key = String(level); // 70.0 in a JSON list is the number 70: its key is '70'
      if (!this.#codes.has(key)) this.#codes.set(key, code);
    });
  }

  /** The code of `value`, or NaN (missing) for null and for categories unseen in training. */
  code(value: string | null): number {
    if (value === null) return NaN;
    const exact = this.#codes.get(value);
    if (exact !== undefined) return exact;
    const trimmed = value.trim();
    const lower = trimmed.toLowerCase();
    if (lower === 'true' || lower === 'false') return this.#codes.get(lower) ?? NaN;
    if (trimmed !== '') {
      const asNumber = Number(trimmed);
      if (Number.isFinite(asNumber)) return this.#codes.get(String(asNumber)) ?? NaN;
    }
    return this.#codes.get(trimmed) ?? NaN;
  }
}
