import { csvField } from './csv-parser.ts';
import { flatColumns, outputCells, type Cell, type OutputBatch } from './output-rows.ts';

/** A CSV cell: numbers as the shortest text that reads back to the same value, a missing (NaN) float as empty. */
function csvCell(value: unknown): string {
  if (typeof value === 'number') return Number.isNaN(value) ? '' : value === Infinity ? 'inf' : value === -Infinity ? '-inf' : String(value);
  if (typeof value === 'string') return csvField(value);
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return '';
  return csvField(JSON.stringify(value));
}

/** A JSON value; NaN and infinities (which JSON lacks) as null, bigints as their digits. */
function jsonValue(value: unknown): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'bigint') return value.toString();
  if (value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(jsonValue).join(',')}]`;
  return JSON.stringify(value);
}

/** The header line of the CSV output for batches shaped like this one. */
export function csvHeader(batch: OutputBatch): string {
  return `${flatColumns(batch).map(csvField).join(',')}\n`;
}

/** One batch as CSV lines (no header). */
export function csvLines(batch: OutputBatch): string {
  const cells = batch.outputs.map(outputCells);
  const lines = new Array<string>(batch.rows);
  for (let r = 0; r < batch.rows; r++) {
    const row: string[] = [];
    for (const kept of batch.kept) row.push(csvCell(kept.values[r]));
    for (const out of cells) for (let j = 0; j < out.perRow; j++) row.push(csvCell(out.cell(r * out.perRow + j)));
    lines[r] = row.join(',');
  }
  return batch.rows === 0 ? '' : `${lines.join('\n')}\n`;
}

/** One batch as JSON Lines: an object per row, vector outputs as arrays. */
export function jsonLines(batch: OutputBatch): string {
  const cells = batch.outputs.map(outputCells);
  const keys = [...batch.kept.map((k) => k.name), ...batch.outputs.map((o) => o.name)].map((k) => JSON.stringify(k));
  let out = '';
  for (let r = 0; r < batch.rows; r++) {
    const parts: string[] = [];
    let k = 0;
    for (const kept of batch.kept) parts.push(`${keys[k++]}:${jsonValue(kept.values[r])}`);
    for (const c of cells) {
      if (c.scalar) parts.push(`${keys[k++]}:${jsonValue(c.cell(r))}`);
      else {
        const row: Cell[] = [];
        for (let j = 0; j < c.perRow; j++) row.push(c.cell(r * c.perRow + j));
        parts.push(`${keys[k++]}:${jsonValue(row)}`);
      }
    }
    out += `{${parts.join(',')}}\n`;
  }
  return out;
}
