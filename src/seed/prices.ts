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
 * file, the columns it has, and the option (CLI flag) that maps it.
 */
import { BaskError } from '../errors.js';
import { findColumn } from '../frame/columns.js';
import { parseCsv, previewCsv, type StockColumn } from '../frame/csv.js';
import type { Frame } from '../frame/dataframe.js';
import { parseTimestamp } from '../frame/dates.js';
import type { DatetimeIndex } from '../frame/indexes.js';
import { loadCsvSource, type CsvSource } from '../frame/read.js';
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

/** Reads one file of minute bars (path, URL, File/Blob or bytes), indexed by its timestamps. */
export async function readPrices(
  source: CsvSource,
  options: PricesOptions = {},
): Promise<PriceFrame> {
  checkOptions(options);
  const loaded = await loadCsvSource(source, options.name);
  return parsePrices(loaded.data, { ...options, name: loaded.name });
}

/** `readPrices` for text or bytes already in memory, synchronously. */
export function parsePrices(input: CsvInput, options: PricesOptions = {}): PriceFrame {
  checkOptions(options);
  const { name } = options;
  const text = toCsvText(input, name);
  const { header, rows } = previewCsv(text, { name, rows: SNIFF_ROWS });
  const timestamp = findTimestamp(header, rows, options.timestamp, name);
  const high = findPrice(header, 'high', options.high, name);
  const low = findPrice(header, 'low', options.low, name);
  return parseCsv<StockColumn>(text, {
    name,
    parseDates: [timestamp],
    indexCol: timestamp,
    columns: { high, low },
    // A bad first cell must be an error naming its line, not a silently dropped text column.
    numeric: ['high', 'low'],
  });
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
