/**
 * Cells of the byte scanner (scan.ts): each read from the UTF-8 bytes of a file, without a
 * string in the common forms. `storeNumber` and `storeDate` read a cell while they find its
 * end, so that each byte of a number or a date is visited once; `readCell` reads any other
 * cell (its end found by the scanner) through the general path's functions.
 *
 * Numbers of at most 15 digits are exact: an integer below 2^53 divided by an exact power of
 * ten is correctly rounded, as `+cell` is.
 */
import { isMissing } from './cells.js';
import { parseIsoBytes, parseTimestamp } from './dates.js';

export const LF = 10;
export const CR = 13;
const COMMA = 44;
const DOT = 46;
const PLUS = 43;
const MINUS = 45;
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

// How a column is read while scanning (numbers, not strings: the loop compares them per cell).
export const SKIP = 0; // displaced or text: not kept
export const NUMBER = 1;
export const DATE = 2;
export const SNIFF = 3; // no non-missing cell yet: number or text?
export const TEXT = 4;

const ascii = new TextDecoder();

/** Whether `b` ends a cell of a file separated by `d` (a CR is checked by the caller). */
function endsCell(b: number, d: number): boolean {
  return b === d || b === LF || b === CR;
}

/**
 * Reads the cell at `start` when it is `[+-]digits[.digits]` (a comma for the point with
 * `decimalComma`) of at most 15 digits up to its end (a separator, a line end, the end of
 * the bytes): stores it in `column[row]` and returns where the cell ends; -1 for any other
 * form, storing nothing. Exact: an integer below 2^53 divided by an exact power of ten.
 */
export function storeNumber(
  b: Uint8Array,
  start: number,
  d: number,
  decimalComma: boolean,
  column: Float64Array,
  row: number,
): number {
  const n = b.length;
  let i = start;
  const sign = i < n ? (b[i] as number) : LF;
  if (sign === MINUS || sign === PLUS) i++;
  let mantissa = 0;
  let count = 0;
  let fraction = -1;
  let point = 0;
  let c = LF;
  for (; i < n; i++) {
    c = b[i] as number;
    const digit = c - 48;
    if (digit >= 0 && digit <= 9) {
      mantissa = mantissa * 10 + digit;
      count++;
      if (fraction >= 0) fraction++;
    } else if (fraction < 0 && (c === DOT || (c === COMMA && decimalComma))) {
      fraction = 0;
      point = c;
    } else break;
  }
  if (i === n) c = LF;
  // A decimal comma needs a digit after it (`10,` is not a number), as readDecimalComma.
  if (!endsCell(c, d) || count === 0 || count > 15 || (point === COMMA && fraction === 0))
    return -1;
  const x = fraction > 0 ? mantissa / (POW10[fraction] as number) : mantissa;
  column[row] = sign === MINUS ? -x : x;
  return i;
}

/** ISO lengths `parseIsoBytes` reads, the most common first. */
const ISO_LENGTHS = [19, 10, 16];

/**
 * Reads the cell at `start` when it is an ISO date or time of a form `parseIsoBytes` reads
 * (every byte of which it checks, so no separator can hide inside): stores it in
 * `column[row]` and returns where the cell ends; -1 otherwise, storing nothing.
 */
export function storeDate(
  b: Uint8Array,
  start: number,
  d: number,
  column: Float64Array,
  row: number,
): number {
  const n = b.length;
  for (let k = 0; k < ISO_LENGTHS.length; k++) {
    const end = start + (ISO_LENGTHS[k] as number);
    if (end > n || !endsCell(end < n ? (b[end] as number) : LF, d)) continue;
    const ms = parseIsoBytes(b, start, end);
    if (ms === ms) {
      column[row] = ms;
      return end;
    }
  }
  return -1;
}

/** The ASCII text of `bytes[start, end)`. */
export function decode(bytes: Uint8Array, start: number, end: number): string {
  return ascii.decode(bytes.subarray(start, end));
}

/**
 * The value of one cell of a column of `kind` that `storeNumber` or `storeDate` did not take
 * (so it has another form: `NA`, `1e5`, ` 3 `, an ISO time with a zone...), as the general
 * path reads it; undefined when that path would call it an error (the caller gives up). A
 * SNIFF cell that is text is NaN.
 */
export function readCell(
  bytes: Uint8Array,
  start: number,
  end: number,
  kind: number,
  toNumber: (cell: string) => number,
): number | undefined {
  if (start === end) return NaN;
  const cell = decode(bytes, start, end);
  const x = kind === DATE ? parseTimestamp(cell) : toNumber(cell);
  return x === x || kind === SNIFF || isMissing(cell) ? x : undefined;
}
