/**
 * The fixture CSV files and their spreads computed without bask: a few lines of plain CSV
 * reading (BOM, CRLF, blank lines, quoted fields, any-case column names), so that the demo
 * and `bask spreads` are checked against an independent answer.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The folder of fixtures every test uploads: good files, variants and one bad file. */
export const CSV_DIR = new URL('./fixtures/csv/', import.meta.url).pathname;
/** A file whose columns must be mapped: `when`, `bid_high`, `bid_low`. */
export const MAPPED_FILE = new URL('./fixtures/mapped/custom-columns.csv', import.meta.url)
  .pathname;
/** The bad fixture: a price cell that is not a number. */
export const BAD_FILE = 'bad-cell.csv';

/** What a good file should give. */
export interface Expected {
  readonly name: string;
  readonly day: string;
  readonly spread: number;
}

/** The fixture files' names, sorted. */
export function fixtureNames(): string[] {
  return readdirSync(CSV_DIR)
    .filter((n) => n.endsWith('.csv'))
    .sort();
}

/** Splits one CSV line; quotes group commas and `""` is a quote. */
function cells(line: string): string[] {
  const out = [''];
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === '"' && quoted && line[i + 1] === '"') {
      out[out.length - 1] += '"';
      i++;
    } else if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) out.push('');
    else out[out.length - 1] += c;
  }
  return out;
}

/**
 * The day (first timestamp's date) and spread of a CSV file's text; the columns are the given
 * ones or else `high`, `low` and the first of timestamp/date (in any case).
 */
export function expectedSpread(
  name: string,
  text: string,
  columns: { timestamp?: string; high?: string; low?: string } = {},
): Expected {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  const header = cells(lines[0] ?? '').map((h) => h.trim().toLowerCase());
  const column = (wanted: string[]): number =>
    header.findIndex((h) => wanted.some((w) => w.toLowerCase() === h));
  const t = column([columns.timestamp ?? 'timestamp', 'date']);
  const hi = column([columns.high ?? 'high']);
  const lo = column([columns.low ?? 'low']);
  const rows = lines.slice(1).map(cells);
  const highs = rows.map((r) => Number(r[hi]));
  const lows = rows.map((r) => Number(r[lo]));
  return {
    name,
    day: (rows[0]?.[t] ?? '').slice(0, 10),
    spread: Math.max(...highs) - Math.min(...lows),
  };
}

/** The expected result of every good fixture in CSV_DIR (all but the bad file). */
export function expectedFixtures(): Expected[] {
  return fixtureNames()
    .filter((n) => n !== BAD_FILE)
    .map((n) => expectedSpread(n, readFileSync(join(CSV_DIR, n), 'utf8')));
}

/** The 1-based line of the bad fixture's first price cell that is not a number. */
export function badLine(): number {
  const lines = readFileSync(join(CSV_DIR, BAD_FILE), 'utf8').split('\n');
  const header = cells(lines[0] ?? '');
  const prices = ['open', 'high', 'low', 'close'].map((c) => header.indexOf(c));
  const i = lines.findIndex(
    (line, k) =>
      k > 0 && line.trim() !== '' && prices.some((j) => Number.isNaN(Number(cells(line)[j]))),
  );
  return i + 1;
}
