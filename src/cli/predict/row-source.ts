/** A batch of rows read from a data file, column by column. */
export interface RowBatch {
  readonly rows: number;
  /** A column's values in row order (CSV: the text of each cell; JSONL and Parquet: the decoded values). */
  column(name: string): readonly unknown[] | undefined;
  /** Where the next batch starts: the point a resumed run continues from. */
  readonly resume: ResumePoint;
}

/** A position in the input file: a byte offset (CSV, JSONL) or a row count (Parquet), with the rows before it. */
export interface ResumePoint {
  readonly rows: number;
  readonly offset: number;
}

/** A data file read as batches of rows, from a resume point on, with bounded memory. */
export interface RowSource {
  /** The file's columns in file order (known once the source is opened). */
  readonly columns: readonly string[];
  /** Whether the values are CSV text that still needs parsing into numbers. */
  readonly text: boolean;
  /** Input bytes or rows in all, for progress. */
  readonly total: { readonly unit: 'bytes' | 'rows'; readonly size: number };
  batches(batchRows: number): AsyncIterable<RowBatch>;
  close(): Promise<void>;
}

/** A batch over records held as arrays of cells in the file's column order. */
export function recordBatch(columns: readonly string[], records: readonly (readonly unknown[])[], resume: ResumePoint): RowBatch {
  const index = new Map(columns.map((c, i) => [c, i]));
  return {
    rows: records.length,
    resume,
    column(name) {
      const at = index.get(name);
      return at === undefined ? undefined : records.map((r) => r[at]);
    },
  };
}
