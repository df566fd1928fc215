/**
 * `parseCsv`: CSV text to a DataFrame, pandas' `read_csv` for the cases bask needs.
 *
 * Papa Parse splits the text into cells (quotes as RFC 4180, line ends detected once). Cells are
 * comma-separated, unless the header line has no comma and has tabs, semicolons or pipes: then
 * those (the exports of spreadsheets in many locales). With semicolons, a decimal comma is read
 * as a decimal point (`10,5` is 10.5), as those exports write numbers. Everything after is here: blank lines are skipped (pandas'
 * skip_blank_lines), the first non-blank line is the header, and each column becomes
 * - timestamps (epoch ms) when named by `parseDates` or `indexCol`,
 * - numbers (`Float64Array`) when its first non-missing cell is a number,
 * - otherwise text, which frames do not keep (the frame lists it in `omitted`).
 * Missing cells (empty, `NaN`, `NA`, `N/A`, `null`, ...) are NaN.
 *
 * Every error is an ERR_CSV naming the file and the 1-based line. Line numbers cost nothing
 * on the way: a text without quotes has one row per line, and a quoted one is re-scanned only
 * when there is an error to report.
 *
 * Two paths, one result: `scanCsv` (scan.ts) reads the plain case straight from bytes into
 * typed columns and gives up on anything else, including any error; this file's path, over
 * text and rows of strings, then parses the input again and explains what is wrong.
 */
import Papa from 'papaparse';
import { BaskError } from '../errors.js';
import {
  detectDelimiter,
  detectNewline,
  isMissing,
  numberReader,
  type Delimiter,
  type Newline,
} from './cells.js';
import {
  assembleFrame,
  cleanHeader,
  planColumns,
  type ColumnKind,
  type ColumnPlan,
} from './columns.js';
import type { DataFrame, Frame } from './dataframe.js';
import { parseTimestamp } from './dates.js';
import type { DatetimeIndex, FrameIndex } from './indexes.js';
import { scanCsv } from './scan.js';
import { csvError, lineAt, toCsvText, type CsvInput } from './text.js';

/** The columns of the seed workload's minute bars. */
export type StockColumn = 'open' | 'high' | 'low' | 'close' | 'volume';

/** Options of `parseCsv` and `readCsv` (pandas' names in camelCase). Names match case-insensitively. */
export interface ReadCsvOptions {
  /** Columns to parse as timestamps (pandas' `parse_dates`). */
  parseDates?: string[];
  /** The column to index the rows by; it is parsed as timestamps (pandas' `index_col`). */
  indexCol?: string;
  /** The file name for error messages (default: the path, URL or File name when known). */
  name?: string;
  /** Renames: wanted name -> name in the file, e.g. `{ high: 'High Price' }`. */
  columns?: Record<string, string>;
  /** Columns that must hold numbers: a non-numeric cell anywhere in them is an error. */
  numeric?: string[];
}

const OPTION_KEYS = new Set(['parseDates', 'indexCol', 'name', 'columns', 'numeric']);

interface Table {
  readonly text: string;
  readonly newline: Newline;
  readonly delimiter: Delimiter;
  readonly rows: readonly string[][];
  /** Positions in `rows` of the data rows (blank rows left out). */
  readonly body: readonly number[];
  readonly header: readonly string[];
}

/**
 * Parses CSV text (or UTF-8 bytes) into a DataFrame, synchronously. `C` names the numeric
 * columns you read as properties (default: the stock columns); with `indexCol` the index is a
 * DatetimeIndex, else a RangeIndex.
 */
export function parseCsv<C extends string = StockColumn>(
  input: CsvInput,
  options: ReadCsvOptions & { indexCol: string },
): Frame<C, DatetimeIndex>;
export function parseCsv<C extends string = StockColumn, I extends FrameIndex = FrameIndex>(
  input: CsvInput,
  options?: ReadCsvOptions,
): Frame<C, I>;
export function parseCsv(input: CsvInput, options: ReadCsvOptions = {}): Frame {
  checkReadCsvOptions(options);
  // The plain case (ASCII, no quotes, LF or CRLF, no error) never becomes text or rows.
  const scanned = scanCsv(input, options);
  if (scanned !== undefined) return scanned;
  return parseCsvRows(input, options);
}

/**
 * `parseCsv`'s general path alone (text, then rows of strings, then columns), for every
 * input; `parseCsv` takes it when the scanner gives up. Exported for the tests that check
 * that both paths agree. `options` must be checked already.
 */
export function parseCsvRows(input: CsvInput, options: ReadCsvOptions): DataFrame {
  const text = toCsvText(input, options.name);
  const table = tokenize(text, options.name);
  const plan = planColumns(table.header, options, options.name);
  return buildFrame(table, plan, options.name);
}

/**
 * The cleaned header and the first `rows` data rows of a CSV, without converting any cell:
 * for sniffing which column is which before parsing.
 */
export function previewCsv(
  input: CsvInput,
  options: { name?: string; rows?: number } = {},
): {
  header: string[];
  rows: string[][];
} {
  const text = toCsvText(input, options.name);
  const count = options.rows ?? 5;
  // Papa splits the whole input before `preview` applies, so hand it only the first lines.
  const head = text.slice(0, nthLineEnd(text, count + 16));
  const result = Papa.parse<string[]>(head, {
    delimiter: detectDelimiter(text),
    newline: detectNewline(text),
    preview: count + 16,
  });
  const rows = result.data.filter((row) => !isBlank(row));
  return { header: cleanHeader(rows[0] ?? []), rows: rows.slice(1, count + 1) };
}

/** The offset just past the `n`th line feed of `text`, or its length. */
function nthLineEnd(text: string, n: number): number {
  let end = 0;
  for (let i = 0; i < n; i++) {
    const next = text.indexOf('\n', end);
    if (next === -1) return text.length;
    end = next + 1;
  }
  return end;
}

function checkReadCsvOptions(options: ReadCsvOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      'readCsv(source, options): options must be an object',
    );
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) {
      throw new BaskError(
        'ERR_INVALID_ARGUMENT',
        `readCsv: unknown option '${key}'; known options: ${[...OPTION_KEYS].join(', ')}`,
      );
    }
  }
  const { parseDates, indexCol, name, columns } = options;
  if (
    parseDates !== undefined &&
    !(Array.isArray(parseDates) && parseDates.every((d) => typeof d === 'string'))
  ) {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      "readCsv: parseDates must be an array of column names, e.g. ['timestamp']",
    );
  }
  if (indexCol !== undefined && typeof indexCol !== 'string') {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      'readCsv: indexCol must be a column name (a string)',
    );
  }
  if (name !== undefined && typeof name !== 'string') {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      'readCsv: name must be a string (the file name for messages)',
    );
  }
  const isNameMap =
    columns !== null &&
    typeof columns === 'object' &&
    Object.values(columns).every((v) => typeof v === 'string');
  if (columns !== undefined && !isNameMap) {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      "readCsv: columns must map wanted names to names in the file, e.g. { high: 'High' }",
    );
  }
}

function isBlank(row: readonly string[]): boolean {
  return row.length === 1 && (row[0] as string).trim() === '';
}

function tokenize(text: string, name: string | undefined): Table {
  const newline = detectNewline(text);
  const delimiter = detectDelimiter(text);
  const result = Papa.parse<string[]>(text, { delimiter, newline, skipEmptyLines: false });
  const rows = result.data;
  const quoteError = result.errors.find((e) => e.type === 'Quotes');
  if (quoteError !== undefined) {
    const line =
      quoteError.index !== undefined ? lineAt(text, quoteError.index, newline) : undefined;
    const what =
      quoteError.code === 'MissingQuotes'
        ? 'a quoted field is never closed'
        : 'a quote is misplaced';
    throw csvError(
      name,
      line,
      `${what} (${quoteError.message}). Inside quotes, write a quote as "".`,
    );
  }
  let first = 0;
  while (first < rows.length && isBlank(rows[first] as string[])) first++;
  const body: number[] = [];
  for (let r = first + 1; r < rows.length; r++) if (!isBlank(rows[r] as string[])) body.push(r);
  return { text, newline, delimiter, rows, body, header: cleanHeader(rows[first] ?? []) };
}

/** The 1-based line where row `row` of the table starts. */
function lineOfRow(table: Table, row: number): number {
  // Without quotes Papa splits on line ends, so rows and lines coincide.
  if (!table.text.includes('"')) return row + 1;
  let start = 0;
  let seen = 0;
  Papa.parse<string[]>(table.text, {
    delimiter: table.delimiter,
    newline: table.newline,
    step: (result, parser) => {
      if (seen === row) return parser.abort();
      start = result.meta.cursor;
      seen++;
    },
  });
  return lineAt(table.text, start, table.newline);
}

function columnKind(table: Table, plan: ColumnPlan, j: number): ColumnKind {
  if (plan.names[j] === undefined) return 'displaced';
  if (plan.dates.has(j)) return 'date';
  if (plan.numeric.has(j)) return 'number';
  for (const r of table.body) {
    const cell = (table.rows[r] as string[])[j];
    if (cell === undefined || isMissing(cell)) continue;
    return Number.isNaN(numberReader(table.delimiter)(cell)) ? 'text' : 'number';
  }
  return 'number';
}

function buildFrame(table: Table, plan: ColumnPlan, name: string | undefined): DataFrame {
  const width = table.header.length;
  const kinds = table.header.map((_, j) => columnKind(table, plan, j));
  const values = kinds.map((kind) =>
    kind === 'number' || kind === 'date' ? new Float64Array(table.body.length) : undefined,
  );
  const { rows, body } = table;
  const toNumber = numberReader(table.delimiter);
  for (let k = 0; k < body.length; k++) {
    const row = rows[body[k] as number] as string[];
    if (row.length !== width) {
      throw csvError(
        name,
        lineOfRow(table, body[k] as number),
        `expected ${width} fields like the header, found ${row.length}. ` +
          'Quote fields that contain commas ("a,b"), or add the missing fields (empty is fine).',
      );
    }
    for (let j = 0; j < width; j++) {
      const out = values[j];
      if (out === undefined) continue;
      const cell = row[j] as string;
      const x = kinds[j] === 'number' ? toNumber(cell) : parseTimestamp(cell);
      if (x !== x && !isMissing(cell))
        throw badCell(table, plan, name, body[k] as number, j, kinds[j] as ColumnKind);
      out[k] = x;
    }
  }
  return assembleFrame(plan, kinds, values, body.length);
}

function badCell(
  table: Table,
  plan: ColumnPlan,
  name: string | undefined,
  row: number,
  j: number,
  kind: ColumnKind,
): BaskError {
  const cell = JSON.stringify((table.rows[row] as string[])[j]);
  const column = plan.names[j] as string;
  const message =
    kind === 'number'
      ? `column '${column}' holds numbers, but this cell is ${cell}. Fix the cell, or leave it empty for a missing value.`
      : `cannot read ${cell} in column '${column}' as a date and time. Use ISO 8601, such as 2023-01-02 09:30:00, or leave it empty.`;
  return csvError(name, lineOfRow(table, row), message);
}
