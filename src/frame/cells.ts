/**
 * What a CSV cell means, shared by both parse paths (the general one in csv.ts, the byte
 * scanner in scan.ts) so that they read every cell the same way: missing values, numbers
 * (with decimal commas in semicolon-separated files), and the separator and line end of a
 * file, detected from its start.
 *
 * Policy: missing cells are pandas' NA strings (empty, `NaN`, `NA`, `N/A`, `null`, ...), any
 * case, trimmed; a number is what JavaScript's `+cell` reads, except that a blank cell is
 * NaN (not 0). The separator is a comma unless the header line has none but has a tab, a
 * semicolon or a pipe (spreadsheet exports of many locales).
 */

/** A cell separator bask detects. */
export type Delimiter = ',' | '\t' | ';' | '|';

/** A line end bask detects. */
export type Newline = '\n' | '\r\n' | '\r';

const MISSING = new Set(['', 'nan', 'na', 'n/a', 'null', 'none', '#n/a', '-nan', '<na>', 'nat']);

/** Whether a cell is a missing value (empty or one of pandas' NA strings). */
export function isMissing(cell: string): boolean {
  return cell.length < 12 && MISSING.has(cell.trim().toLowerCase());
}

/** The number in a cell, or NaN (blank cells are NaN, not 0 as `+' '` would give). */
export function readNumber(cell: string): number {
  const x = +cell;
  return x === 0 && cell.trim() === '' ? NaN : x;
}

const DECIMAL_COMMA = /^\s*[+-]?\d*,\d+(?:[eE][+-]?\d+)?\s*$/;

/** `readNumber`, also reading a decimal comma (`10,5`), for semicolon-separated files. */
export function readDecimalComma(cell: string): number {
  const x = readNumber(cell);
  return x === x || !DECIMAL_COMMA.test(cell) ? x : +cell.replace(',', '.');
}

/** How cells of a file with this separator read as numbers. */
export function numberReader(delimiter: Delimiter): (cell: string) => number {
  return delimiter === ';' ? readDecimalComma : readNumber;
}

/** The line end of `text`: that of its first line feed; CR alone when it has no line feed. */
export function detectNewline(text: string): Newline {
  const lf = text.indexOf('\n');
  if (lf > 0 && text.charCodeAt(lf - 1) === 13) return '\r\n';
  return lf === -1 && text.includes('\r') ? '\r' : '\n';
}

/**
 * The cell separator: a comma, unless the first non-blank line has none but has another.
 * Reads only up to the end of that line, so a prefix of the text holding it gives the same.
 */
export function detectDelimiter(text: string): Delimiter {
  const start = text.search(/\S/);
  if (start === -1) return ',';
  const end = text.slice(start).search(/[\r\n]/);
  const header = end === -1 ? text.slice(start) : text.slice(start, start + end);
  if (header.includes(',')) return ',';
  for (const d of ['\t', ';', '|'] as const) if (header.includes(d)) return d;
  return ',';
}
