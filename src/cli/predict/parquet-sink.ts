import { open } from 'node:fs/promises';
import { ByteWriter, ParquetWriter, schemaFromColumnData } from 'hyparquet-writer';
import type { Datatype } from '../../tensor/index.ts';
import { flatColumns, outputCells, type OutputBatch } from './output-rows.ts';
import type { Sink, SinkState } from './sink.ts';

/** Rows held before they are written as one row group; a checkpoint also closes the row group it is in. */
const ROW_GROUP_ROWS = 64 * 1024;

// The writer's own metadata types (it depends on its own release of hyparquet).
type SchemaElement = ConstructorParameters<typeof ParquetWriter>[0]['schema'][number];
type RowGroup = ParquetWriter['row_groups'][number];

type ColumnType = 'DOUBLE' | 'FLOAT' | 'INT32' | 'INT64' | 'BOOLEAN' | 'STRING';

/** What a checkpoint keeps of a Parquet output: its schema and the row groups written (the footer to come). */
interface ParquetState {
  readonly schema: SchemaElement[];
  readonly types: ColumnType[];
  /** RowGroup metadata, with bigints and bytes encoded for JSON (encodeMeta). */
  readonly rowGroups: unknown;
}

/**
 * Parquet output (hyparquet-writer), flat as CSV's: kept columns, then one column per scalar output and
 * `name_0..name_K-1` per vector output. Rows are buffered to a row group of ROW_GROUP_ROWS (memory stays bounded)
 * and each row group goes to the file as it is complete; the footer is written at the end. A checkpoint closes
 * the current row group and records the file's length and the row groups' metadata, so that a resumed run cuts
 * the file back to that length and goes on writing row groups, the footer naming all of them.
 */
export async function openParquetSink(file: string, resume: SinkState | undefined): Promise<Sink> {
  const handle = await open(file, resume ? 'r+' : 'w');
  const bytes = new ByteWriter();
  let fileBytes = 0;
  let writer: ParquetWriter | undefined;
  let state: { schema: SchemaElement[]; types: ColumnType[]; names: string[] } | undefined;
  let held: unknown[][] = []; // per column, the values of the rows held
  let heldRows = 0;

  const drain = async () => {
    if (bytes.index === 0) return;
    const chunk = Buffer.from(bytes.buffer, 0, bytes.index);
    await handle.write(chunk, 0, chunk.length, fileBytes);
    fileBytes += chunk.length;
    bytes.index = 0;
  };
  const start = (schema: SchemaElement[], types: ColumnType[]) => {
    writer = new ParquetWriter({ writer: bytes, schema, statistics: true, createdBy: 'ferry predict (hyparquet-writer)' });
    state = { schema, types, names: schema.slice(1).map((e) => e.name) };
    held = types.map(() => []);
  };
  if (resume) {
    const saved = resume.extra as ParquetState;
    await handle.truncate(resume.bytes);
    start(saved.schema, saved.types);
    // The header magic the new writer buffered is already in the file, as are the row groups before it.
    bytes.index = 0;
    bytes.offset = resume.bytes;
    fileBytes = resume.bytes;
    writer!.row_groups = decodeMeta(saved.rowGroups) as RowGroup[];
    writer!.num_rows = writer!.row_groups.reduce((sum, group) => sum + group.num_rows, 0n);
  }
  const writeGroup = async () => {
    if (heldRows === 0) return;
    const columnData = state!.names.map((name, i) => ({ name, data: held[i]!, type: state!.types[i]!, nullable: true, columnIndex: false, offsetIndex: false }));
    await writer!.write({ columnData, rowGroupSize: heldRows });
    held = state!.types.map(() => []);
    heldRows = 0;
    await drain();
  };
  return {
    async write(batch) {
      const names = flatColumns(batch);
      if (state === undefined) {
        const types = columnTypes(batch);
        start(schemaFromColumnData({ columnData: names.map((name, i) => ({ name, data: [], type: types[i]!, nullable: true })) }), types);
      } else if (names.join('\n') !== state.names.join('\n')) {
        throw new Error(`the output columns changed: ${names.join(',')} (the file has ${state.names.join(',')})`);
      }
      appendRows(batch, state!.types, held);
      heldRows += batch.rows;
      if (heldRows >= ROW_GROUP_ROWS) await writeGroup();
    },
    async commit() {
      await writeGroup();
      await drain();
      await handle.datasync();
      if (state === undefined) return { bytes: fileBytes };
      const extra: ParquetState = { schema: state.schema, types: state.types, rowGroups: encodeMeta(writer!.row_groups) };
      return { bytes: fileBytes, extra };
    },
    async finish() {
      if (writer === undefined) start(schemaFromColumnData({ columnData: [] }), []); // no rows at all: a valid empty file
      await writeGroup();
      await writer!.finish();
      await drain();
      await handle.close();
    },
    async abandon() {
      await handle.close();
    },
  };
}

/** Each flat column's Parquet type: outputs by their datatype, kept columns by the values they hold. */
function columnTypes(batch: OutputBatch): ColumnType[] {
  const types: ColumnType[] = batch.kept.map((k) => keptType(k.values));
  for (const output of batch.outputs) {
    const type = outputType(output.datatype);
    const { perRow, scalar } = outputCells(output);
    for (let j = 0; j < (scalar ? 1 : perRow); j++) types.push(type);
  }
  return types;
}

function outputType(datatype: Datatype): ColumnType {
  switch (datatype) {
    case 'FP64': return 'DOUBLE';
    case 'FP32': case 'FP16': case 'BF16': return 'FLOAT';
    case 'INT8': case 'INT16': case 'INT32': case 'UINT8': case 'UINT16': return 'INT32';
    case 'UINT32': case 'INT64': case 'UINT64': return 'INT64';
    case 'BOOL': return 'BOOLEAN';
    default: return 'STRING';
  }
}

/** A kept input column keeps its type when every value has the same one; otherwise it is written as text. */
function keptType(values: readonly unknown[]): ColumnType {
  const kinds = new Set(values.filter((v) => v !== null && v !== undefined).map((v) => typeof v));
  if (kinds.size !== 1) return 'STRING';
  const [kind] = kinds;
  return kind === 'number' ? 'DOUBLE' : kind === 'bigint' ? 'INT64' : kind === 'boolean' ? 'BOOLEAN' : 'STRING';
}

/** Appends the batch's rows to the held columns, each value converted to its column's type (null when missing). */
function appendRows(batch: OutputBatch, types: readonly ColumnType[], held: unknown[][]): void {
  let c = 0;
  for (const kept of batch.kept) {
    const type = types[c]!;
    const column = held[c++]!;
    for (let r = 0; r < batch.rows; r++) column.push(asType(kept.values[r], type));
  }
  for (const output of batch.outputs) {
    const cells = outputCells(output);
    const width = cells.scalar ? 1 : cells.perRow;
    for (let j = 0; j < width; j++) {
      const type = types[c]!;
      const column = held[c++]!;
      for (let r = 0; r < batch.rows; r++) column.push(asType(cells.cell(r * cells.perRow + j), type));
    }
  }
}

function asType(value: unknown, type: ColumnType): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'STRING': return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value as number);
    case 'INT64': return typeof value === 'bigint' ? value : BigInt(value as number);
    case 'INT32': return Number(value);
    case 'BOOLEAN': return Boolean(value);
    default: return typeof value === 'bigint' ? Number(value) : value;
  }
}

/** Row-group metadata as JSON: bigints, byte arrays and non-finite numbers tagged so that decodeMeta restores them. */
function encodeMeta(value: unknown): unknown {
  if (typeof value === 'bigint') return { $bigint: value.toString() };
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') };
  if (typeof value === 'number' && !Number.isFinite(value)) return { $number: String(value) };
  if (Array.isArray(value)) return value.map(encodeMeta);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, encodeMeta(v)]));
  return value;
}

function decodeMeta(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeMeta);
  if (typeof value === 'object' && value !== null) {
    const tagged = value as Record<string, unknown>;
    if (typeof tagged['$bigint'] === 'string') return BigInt(tagged['$bigint']);
    if (typeof tagged['$bytes'] === 'string') return new Uint8Array(Buffer.from(tagged['$bytes'], 'base64'));
    if (typeof tagged['$number'] === 'string') return Number(tagged['$number']);
    return Object.fromEntries(Object.entries(tagged).map(([k, v]) => [k, decodeMeta(v)]));
  }
  return value;
}
