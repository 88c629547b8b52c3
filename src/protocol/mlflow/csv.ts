import { ferryError } from '../../errors/index.ts';
import type { Table } from '../http/table-inputs.ts';

/**
 * Reads `text/csv` as pandas.read_csv does for MLflow: the first row names the columns, fields may be quoted
 * ("" escapes a quote inside quotes), lines end with LF or CRLF, blank lines are skipped. Cells stay text;
 * the input's datatype decides how each is read.
 */
export function parseCsv(text: string): Table {
  const records = csvRecords(text);
  if (records.length === 0) throw invalid('the CSV body is empty: the first row names the columns');
  const [header, ...rows] = records as [string[], ...string[][]];
  rows.forEach((row, r) => {
    if (row.length !== header.length) throw invalid(`CSV row ${r + 1} has ${row.length} fields, the header has ${header.length}`);
  });
  return { columns: header.map((name) => name.trim()), rows, textCells: true };
}

function csvRecords(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let fieldStarted = false;
  const endField = () => {
    record.push(field);
    field = '';
    fieldStarted = false;
  };
  const endRecord = () => {
    endField();
    if (!(record.length === 1 && record[0] === '')) records.push(record);
    record = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
      continue;
    }
    if (c === '"' && !fieldStarted) {
      quoted = true;
      fieldStarted = true;
    } else if (c === ',') endField();
    else if (c === '\n') endRecord();
    else if (c === '\r') {
      if (text[i + 1] !== '\n') endRecord();
    } else {
      field += c;
      fieldStarted = true;
    }
  }
  if (quoted) throw invalid('a quoted CSV field is not closed');
  if (field !== '' || record.length > 0) endRecord();
  return records;
}

function invalid(detail: string) {
  return ferryError('FERRY_ERR_MALFORMED_BODY', { detail });
}
