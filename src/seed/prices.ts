/**
 * `readPrices`: the seed workload's parse step. pandas' `read_csv(f, parse_dates=['timestamp'],
 * index_col='timestamp')`, made forgiving about which columns hold what, so that any minute-bar
 * CSV a user drops in works without editing it.
 *
 * Policy: the timestamp column is the `timestamp` option, else the first of `timestamp`,
 * `date`, `datetime`, `time` present, else the first column whose first cells are dates (not
 * numbers). `high`/`low` are the options, else the columns of those names. All names match
 * exactly first, then ignoring case. The result is indexed by the timestamps, with the price
 * columns renamed to `high` and `low`. A column that cannot be found is an ERR_CSV naming the
 * file, the columns it has, and the option (CLI flag) that maps it. A file with a header and no
 * data rows is an ERR_CSV too (pandas reads it as an empty frame, but a day without a single
 * bar has no first timestamp and no spread: saying so beats a failed `index.at(0)`), and so is
 * a first row without a timestamp or a price column without a single price.
 *
 * When the header names every column (the usual case), the bytes go straight to
 * `parseCsv`'s scanner: no text, no preview rows. Otherwise the file is decoded and its
 * first rows sniffed; both ways give the same frame or the same error.
 */
import { BaskError } from '../errors.js';
import { findColumn } from '../frame/columns.js';
import { parseCsv, previewCsv, type StockColumn } from '../frame/csv.js';
import type { Frame } from '../frame/dataframe.js';
import { parseTimestamp } from '../frame/dates.js';
import type { DatetimeIndex } from '../frame/indexes.js';
import { loadCsvNow, loadCsvSource, type CsvSource } from '../frame/read.js';
import { scanHeader } from '../frame/scan.js';
import { csvError, toCsvText, type CsvInput } from '../frame/text.js';

/** Which columns hold what (each default: found by name), and the file name for messages. */
export interface PricesOptions {
  /** The timestamp column (CLI: --timestamp). */
  timestamp?: string;
  /** The high-price column (CLI: --high). */
  high?: string;
  /** The low-price column (CLI: --low). */
  low?: string;
  /** The file name for error messages (default: the path, URL or File name). */
  name?: string;
}

/** A frame of minute bars: price columns by name, indexed by timestamps. */
export type PriceFrame = Frame<StockColumn, DatetimeIndex>;

const TIMESTAMP_NAMES = ['timestamp', 'date', 'datetime', 'time'];
const SNIFF_ROWS = 3;
/** A non-blank line followed, after any blank lines, by another one. */
const HAS_SECOND_LINE = /\S.*[\r\n]\s*\S/;

/** Reads one file of minute bars (path, URL, File/Blob or bytes), indexed by its timestamps. */
export async function readPrices(
  source: CsvSource,
  options: PricesOptions = {},
): Promise<PriceFrame> {
  checkOptions(options);
  // Read and parsed in one go: the bytes of loadCsvNow live until the next read.
  const loaded = loadCsvNow(source, options.name) ?? (await loadCsvSource(source, options.name));
  return parsePrices(loaded.data, { ...options, name: loaded.name });
}

/** `readPrices` for text or bytes already in memory, synchronously. */
export function parsePrices(input: CsvInput, options: PricesOptions = {}): PriceFrame {
  checkOptions(options);
  const { name } = options;
  // The plain case: every column found by name in a header read from the bytes, no text made.
  const plainHeader = scanHeader(input);
  const named = plainHeader === undefined ? undefined : findByName(plainHeader, options);
  if (plainHeader !== undefined && named !== undefined) {
    return parseWith(input, plainHeader, named, name);
  }
  const text = toCsvText(input, name);
  const { header, rows } = previewCsv(text, { name, rows: SNIFF_ROWS });
  // Before sniffing: "no column holds dates in its first rows" would hide the real problem.
  if (rows.length === 0 && !HAS_SECOND_LINE.test(text)) throw noDataRows(header, name);
  const timestamp = findTimestamp(header, rows, options.timestamp, name);
  const high = findPrice(header, 'high', options.high, name);
  const low = findPrice(header, 'low', options.low, name);
  return parseWith(text, header, { timestamp, high, low }, name);
}

/** Which columns hold timestamp, high and low, by header names. */
interface PriceColumns {
  timestamp: string;
  high: string;
  low: string;
}

function parseWith(
  input: CsvInput,
  header: string[],
  columns: PriceColumns,
  name: string | undefined,
): PriceFrame {
  const { timestamp, high, low } = columns;
  const frame = parseCsv<StockColumn>(input, {
    name,
    parseDates: [timestamp],
    indexCol: timestamp,
    columns: { high, low },
    // A bad first cell must be an error naming its line, not a silently dropped text column.
    numeric: ['high', 'low'],
  });
  checkPrices(frame, header, columns, name);
  return frame;
}

/**
 * The columns when the options or the usual names find each of them in `header` (what the
 * general path decides then too, without sniffing cells); undefined when one is not found.
 */
function findByName(header: string[], options: PricesOptions): PriceColumns | undefined {
  const at = (wanted: string | undefined): string | undefined => {
    const j = wanted === undefined ? -1 : findColumn(header, wanted);
    return j === -1 ? undefined : header[j];
  };
  const timestamp =
    options.timestamp !== undefined
      ? at(options.timestamp)
      : TIMESTAMP_NAMES.map(at).find((n) => n !== undefined);
  const high = at(options.high ?? 'high');
  const low = at(options.low ?? 'low');
  if (timestamp === undefined || high === undefined || low === undefined) return undefined;
  return { timestamp, high, low };
}

/**
 * What the spread of a day needs beyond a well-formed CSV: rows, a first timestamp (the day)
 * and at least one high and one low price. Each missing piece is an ERR_CSV naming the file.
 */
function checkPrices(
  frame: PriceFrame,
  header: string[],
  columns: PriceColumns,
  file: string | undefined,
): void {
  if (frame.index.length === 0) throw noDataRows(header, file);
  if (Number.isNaN(frame.index.values[0])) {
    throw csvError(
      file,
      undefined,
      `has no timestamp in its first data row (column '${columns.timestamp}' is empty there), ` +
        'and the first timestamp is the day of the file. Fill it in, or remove the row.',
    );
  }
  const extremes = { high: frame.high.max(), low: frame.low.min() };
  for (const role of ['high', 'low'] as const) {
    if (Number.isNaN(extremes[role])) {
      throw csvError(
        file,
        undefined,
        `has no ${role} prices: every cell of column '${columns[role]}' is empty or missing.`,
      );
    }
  }
}

/** One day's `[spread, day]`: highest high minus lowest low, and the first timestamp. */
export function spreadAndDay(frame: PriceFrame): [number, Date] {
  return [frame.high.max() - frame.low.min(), frame.index.at(0)];
}

function noDataRows(header: string[], file: string | undefined): BaskError {
  return csvError(
    file,
    undefined,
    `has a header (${header.join(', ')}) but no data rows: there are no prices to compute a spread from. ` +
      'Add the rows below the header, or leave the file out.',
  );
}

function checkOptions(options: PricesOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      'readPrices(source, options): options must be an object',
    );
  }
  for (const key of ['timestamp', 'high', 'low', 'name'] as const) {
    const value = options[key];
    if (value !== undefined && typeof value !== 'string') {
      throw new BaskError(
        'ERR_INVALID_ARGUMENT',
        `readPrices: option '${key}' must be a column name (a string), got ${typeof value}`,
      );
    }
  }
}

function findTimestamp(
  header: string[],
  rows: string[][],
  option: string | undefined,
  file: string | undefined,
): string {
  if (option !== undefined) return findOption(header, 'timestamp', option, file);
  for (const wanted of TIMESTAMP_NAMES) {
    const j = findColumn(header, wanted);
    if (j !== -1) return header[j] as string;
  }
  const j = header.findIndex((_, k) => holdsDates(rows, k));
  if (j !== -1) return header[j] as string;
  throw csvError(
    file,
    undefined,
    `has no timestamp column: none is named ${TIMESTAMP_NAMES.join(', ')}, and none holds dates in its first ` +
      `rows; its columns are: ${header.join(', ')}. Name it with the timestamp option (CLI: --timestamp <column>).`,
  );
}

/** Whether column `j` has data and its first cells all read as dates (numbers do not count). */
function holdsDates(rows: string[][], j: number): boolean {
  const cells = rows.map((row) => (row[j] ?? '').trim()).filter((cell) => cell !== '');
  return (
    cells.length > 0 &&
    cells.every((cell) => Number.isNaN(Number(cell)) && !Number.isNaN(parseTimestamp(cell)))
  );
}

function findPrice(
  header: string[],
  role: 'high' | 'low',
  option: string | undefined,
  file: string | undefined,
): string {
  if (option !== undefined) return findOption(header, role, option, file);
  const j = findColumn(header, role);
  if (j !== -1) return header[j] as string;
  throw csvError(
    file,
    undefined,
    `has no '${role}' column; its columns are: ${header.join(', ')}. ` +
      `Name the ${role}-price column with the ${role} option (CLI: --${role} <column>).`,
  );
}

function findOption(
  header: string[],
  role: string,
  option: string,
  file: string | undefined,
): string {
  const j = findColumn(header, option);
  if (j !== -1) return header[j] as string;
  throw csvError(
    file,
    undefined,
    `has no column '${option}' (named by the ${role} option, --${role}); its columns are: ${header.join(', ')}. ` +
      `Pass one of these as ${role} (CLI: --${role} <column>).`,
  );
}
