/**
 * Timestamp parsing for CSV cells, to epoch milliseconds.
 *
 * Policy: a time without a zone is naive and treated as UTC (pandas' naive datetime64), in every
 * form, so that a day never depends on the machine's time zone. `YYYY-MM-DD`, optionally
 * followed by `[ T]HH:MM[:SS[.fff...]]` and nothing else, is read by hand: that is what minute
 * bars look like, and it is several times faster than `Date.parse`. Cells of digits only are
 * `YYYYMMDD` (8 digits, as pandas reads them), epoch seconds (10) or epoch milliseconds (13), as
 * exchanges export them. Anything else goes to `Date.parse` (ISO with a zone, RFC 2822,
 * `01/02/2023 09:30`, `Jan 2, 2023`, ...); a result without an explicit zone (`Z`, `+01:00`,
 * `GMT`, `EST`, ...) is read back as the naive wall time it names. A cell that looks like a
 * fixed form but is out of range (month 13, Feb 30) is NaN, never rolled over into another day.
 *
 * `parseIsoBytes` reads the commonest fixed forms straight from bytes (the CSV scanner's fast
 * path), remembering the last day it converted: a file of minute bars has one or a few days.
 */

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const DASH = 45;
const COLON = 58;
const DOT = 46;
const SPACE = 32;
const UPPER_T = 84;

/** Epoch milliseconds (UTC for naive times) of a timestamp cell, or NaN if unparseable. */
export function parseTimestamp(cell: string): number {
  const fast = parseIsoNaive(cell);
  if (fast !== undefined) return fast;
  const trimmed = cell.trim();
  if (trimmed !== cell) {
    const again = parseIsoNaive(trimmed);
    if (again !== undefined) return again;
  }
  if (trimmed === '') return NaN;
  if (ALL_DIGITS.test(trimmed)) return parseDigits(trimmed);
  const parsed = Date.parse(trimmed);
  if (parsed !== parsed || EXPLICIT_ZONE.test(trimmed)) return parsed;
  // Date.parse read a naive form as local time: take back the wall time it names, as UTC.
  const local = new Date(parsed);
  return utc(
    local.getFullYear(),
    local.getMonth() + 1,
    local.getDate(),
    local.getHours(),
    local.getMinutes(),
    local.getSeconds(),
    local.getMilliseconds(),
  );
}

const ALL_DIGITS = /^\d+$/;
/**
 * A zone at the end of a time, as Date.parse knows them: `…00Z`, a numeric offset right after
 * a time (`09:30:00-05:00`, `09:30 +0100`; not the year of `02-Jan-2023`), or a named zone
 * (`GMT`, `UTC`, `UT`, `EST`, `PDT`, ..., maybe with an offset: `GMT+0100`).
 */
const EXPLICIT_ZONE =
  /(?:\d[zZ]|\d:\d{2}(?::\d{2}(?:\.\d+)?)?\s*[+-]\d{2}(?::?\d{2})?|\b(?:UTC?|GMT|[ECMP][SD]T)(?:[+-]\d{1,4}(?::\d{2})?)?)$/;

/** `YYYYMMDD`, epoch seconds (10 digits) or epoch milliseconds (13 digits); else NaN. */
function parseDigits(s: string): number {
  if (s.length === 8) {
    const year = digits(s, 0, 4);
    const month = digits(s, 4, 2);
    const day = digits(s, 6, 2);
    return isValidDate(year, month, day) ? utc(year, month, day, 0, 0, 0, 0) : NaN;
  }
  if (s.length === 10) return Number(s) * 1000;
  if (s.length === 13) return Number(s);
  return NaN;
}

/** The fast path; undefined when `s` is not of its form (NaN when of its form but invalid). */
function parseIsoNaive(s: string): number | undefined {
  const len = s.length;
  if (len < 10 || s.charCodeAt(4) !== DASH || s.charCodeAt(7) !== DASH) return undefined;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  if (year < 0 || month < 0 || day < 0) return undefined;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let ms = 0;
  if (len > 10) {
    const sep = s.charCodeAt(10);
    if ((sep !== SPACE && sep !== UPPER_T) || len < 16 || s.charCodeAt(13) !== COLON)
      return undefined;
    hour = digits(s, 11, 2);
    minute = digits(s, 14, 2);
    if (hour < 0 || minute < 0) return undefined;
    if (len > 16) {
      if (len < 19 || s.charCodeAt(16) !== COLON) return undefined;
      second = digits(s, 17, 2);
      if (second < 0) return undefined;
      if (len > 19) {
        ms = fractionMs(s, 19);
        if (ms < 0) return undefined;
      }
    }
  }
  if (!isValidDate(year, month, day) || hour > 23 || minute > 59 || second > 59) return NaN;
  return utc(year, month, day, hour, minute, second, ms);
}

let lastDayKey = -1;
let lastDayMs = 0;

/**
 * Epoch ms of the ASCII bytes `b[start, end)` when they are exactly `YYYY-MM-DD`,
 * `YYYY-MM-DD HH:MM` or `YYYY-MM-DD HH:MM:SS` (`T` or a space between) naming a valid time:
 * then the same as `parseTimestamp` of that text. NaN otherwise (other forms included: the
 * caller reads those with `parseTimestamp`).
 */
export function parseIsoBytes(b: Uint8Array, start: number, end: number): number {
  const len = end - start;
  if ((len !== 10 && len !== 16 && len !== 19) || b[start + 4] !== DASH || b[start + 7] !== DASH)
    return NaN;
  const year = byteDigits(b, start, 4);
  const month = byteDigits(b, start + 5, 2);
  const day = byteDigits(b, start + 8, 2);
  let hour = 0;
  let minute = 0;
  let second = 0;
  if (len > 10) {
    const sep = b[start + 10];
    if ((sep !== SPACE && sep !== UPPER_T) || b[start + 13] !== COLON) return NaN;
    hour = byteDigits(b, start + 11, 2);
    minute = byteDigits(b, start + 14, 2);
    if (len === 19) {
      if (b[start + 16] !== COLON) return NaN;
      second = byteDigits(b, start + 17, 2);
    }
  }
  // A non-digit gives -1, so one check covers both; NaN then sends the cell to the slow path.
  if ((year | month | day | hour | minute | second) < 0) return NaN;
  if (hour > 23 || minute > 59 || second > 59) return NaN;
  const key = year * 10000 + month * 100 + day;
  if (key !== lastDayKey) {
    if (!isValidDate(year, month, day)) return NaN;
    lastDayMs = utc(year, month, day, 0, 0, 0, 0);
    lastDayKey = key;
  }
  return lastDayMs + ((hour * 60 + minute) * 60 + second) * 1000;
}

/** `digits` over bytes. */
function byteDigits(b: Uint8Array, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const d = (b[i] as number) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** The non-negative integer in s[start, start+count), or -1 if any char is not a digit. */
function digits(s: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** Milliseconds of `.fff...` at s[start]; -1 if malformed. Digits past the third are rounded. */
function fractionMs(s: string, start: number): number {
  if (s.charCodeAt(start) !== DOT || s.length === start + 1) return -1;
  for (let i = start + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
  }
  return Math.round(Number(s.slice(start)) * 1000);
}

function isValidDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (DAYS_IN_MONTH[month - 1] as number) + (leap ? 1 : 0);
}

function utc(
  year: number,
  month: number,
  day: number,
  h: number,
  m: number,
  s: number,
  ms: number,
): number {
  if (year >= 100) return Date.UTC(year, month - 1, day, h, m, s, ms);
  // Date.UTC maps years 0..99 to 1900..1999; set the year explicitly instead.
  const date = new Date(Date.UTC(2000, month - 1, day, h, m, s, ms));
  date.setUTCFullYear(year);
  return date.getTime();
}
