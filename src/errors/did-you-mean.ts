/**
 * The known name closest to a mistyped one, when it is close enough to be what was meant: at most a third of its
 * letters differ (edits, or two neighbours swapped), or one is the other with a part left off (`max_batch`).
 */
export function closestName(typed: string, known: readonly string[]): string | undefined {
  const lower = typed.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(lower, name.toLowerCase());
    if (best === undefined || distance < best.distance) best = { name, distance };
  }
  if (best !== undefined && best.distance <= Math.max(1, Math.floor(typed.length / 3))) return best.name;
  if (lower.length >= 3) return known.find((name) => name.toLowerCase().startsWith(lower) || lower.startsWith(name.toLowerCase()));
  return undefined;
}

/** ` (did you mean X?)` when a known name is close to `typed`, else nothing. */
export function didYouMean(typed: string, known: readonly string[]): string {
  const close = closestName(typed, known);
  return close === undefined ? '' : ` (did you mean ${close}?)`;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours count 1 each. */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, d[i - 2]![j - 2]! + 1);
      d[i]![j] = value;
    }
  }
  return d[a.length]![b.length]!;
}
