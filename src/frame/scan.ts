/**
 * `scanCsv`: the fast path of `parseCsv`, from UTF-8 bytes straight to typed columns in one
 * pass, with no row arrays and no cell strings.
 *
 * Policy: it takes only the plain case and gives up (undefined) on anything else, so that
 * the general path (csv.ts) parses that input and gives the same frame or the same error:
 * - bytes all ASCII after an optional BOM, without quotes or control characters other than
 *   tab, vertical tab and form feed; lines ending all in LF, or all in CRLF;
 * - no error of any kind: a row of the wrong width or a bad cell gives up too, and the
 *   general path reports it with its line.
 * The separator, the line end and the header come from the same functions as the general
 * path's (cells.ts, columns.ts). Cells of the common forms (`-12.5`, `10,5` with semicolons,
 * `2023-01-02 09:30:00`) are read from the bytes as they are scanned (scan-cells.ts); any
 * other cell (`NA`, `1e5`, ` 3 `, an ISO time with a zone...) is decoded to a string and read
 * by the general path's functions.
 *
 * Invariant: the scratch columns (and the scratch bytes that a string is encoded into) are
 * this module's, reused from file to file, so one set lives in each thread; a frame gets
 * exact-size copies, carved from a slab that later frames share (`slabFor`; a column posted
 * to another thread goes as a copy of its own bytes, wire/clone.ts). The scan is synchronous,
 * so it never interleaves with another. Scratch past 16 MiB is dropped after the file that
 * needed it.
 */
import {
  detectDelimiter,
  detectNewline,
  isMissing,
  numberReader,
  type Delimiter,
} from './cells.js';
import {
  assembleFrame,
  cleanHeader,
  planColumns,
  type ColumnKind,
  type ColumnOptions,
  type ColumnPlan,
} from './columns.js';
import type { DataFrame } from './dataframe.js';
import {
  CR,
  DATE,
  LF,
  NUMBER,
  SKIP,
  SNIFF,
  TEXT,
  decode,
  readCell,
  storeDate,
  storeNumber,
} from './scan-cells.js';
import type { CsvInput } from './text.js';

const QUOTE = 34;

const ascii = new TextDecoder();
const encoder = new TextEncoder();
let scratchBytes = new Uint8Array(0);
const scratchColumns: Float64Array[] = [];

/** Where the header is, and what the start of the file says about the rest. */
interface Layout {
  readonly bytes: Uint8Array;
  readonly delimiter: Delimiter;
  readonly crlf: boolean;
  readonly header: string[];
  /** Offset of the first byte after the header line. */
  readonly body: number;
}

/**
 * The frame `parseCsv(input, options)` gives, when `input` is the plain case described
 * above; undefined otherwise (then parse it the general way). `options` are already checked.
 */
export function scanCsv(
  input: CsvInput,
  options: ColumnOptions & { name?: string | undefined },
): DataFrame | undefined {
  const layout = scanLayout(input);
  if (layout === undefined) return undefined;
  let plan: ColumnPlan;
  try {
    plan = planColumns(layout.header, options, options.name);
  } catch {
    // A column the options name is missing: the general path says so, or first reports what
    // it finds wrong before that (a quote, a binary byte further down).
    return undefined;
  }
  const frame = scanBody(layout, plan);
  releaseLargeScratch();
  return frame;
}

/**
 * The cleaned header of `input` when it is the plain case (see `scanCsv`) as far as its
 * header line; undefined otherwise.
 */
export function scanHeader(input: CsvInput): string[] | undefined {
  return scanLayout(input)?.header;
}

/** Scratch larger than this is dropped after use: one huge file must not pin its size. */
const KEEP_BYTES = 1 << 24;

function releaseLargeScratch(): void {
  if (scratchBytes.length > KEEP_BYTES) scratchBytes = new Uint8Array(0);
  if (scratchColumns.some((c) => c.byteLength > KEEP_BYTES)) scratchColumns.length = 0;
}

/** The bytes of `input`: as given, or a string encoded into the scratch bytes. */
function toBytes(input: CsvInput): Uint8Array | undefined {
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (typeof input !== 'string') return undefined;
  if (scratchBytes.length < input.length) scratchBytes = new Uint8Array(input.length * 2);
  const { read, written } = encoder.encodeInto(input, scratchBytes);
  // Short of room means non-ASCII text, which the general path reads anyway.
  return read === input.length ? scratchBytes.subarray(0, written) : undefined;
}

function scanLayout(input: CsvInput): Layout | undefined {
  const bytes = toBytes(input);
  if (bytes === undefined) return undefined;
  const n = bytes.length;
  const start = n >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let first = start;
  while (first < n && isSpaceByte(bytes[first] as number)) first++;
  const lf = bytes.indexOf(LF, first);
  // Empty, or a single line, or CR-only line ends: the general path.
  if (first === n || lf === -1) return undefined;
  const head = ascii.decode(bytes.subarray(start, lf + 1));
  const delimiter = detectDelimiter(head);
  const crlf = detectNewline(head) === '\r\n';
  let lineStart = bytes.lastIndexOf(LF, first) + 1;
  if (lineStart < start) lineStart = start;
  const d = delimiter.charCodeAt(0);
  // A separator on a line before the header would make that line a row of empty cells.
  for (let i = start; i < lineStart; i++) if (bytes[i] === d) return undefined;
  const lineEnd = crlf ? lf - 1 : lf;
  if (crlf && bytes[lineEnd] !== CR) return undefined;
  for (let i = lineStart; i < lineEnd; i++) {
    if (!isPlainByte(bytes[i] as number)) return undefined;
  }
  const cells = ascii.decode(bytes.subarray(lineStart, lineEnd)).split(delimiter);
  return { bytes, delimiter, crlf, header: cleanHeader(cells), body: lf + 1 };
}

/** ASCII whitespace, as `String.prototype.trim` sees it. */
function isSpaceByte(b: number): boolean {
  return b === 32 || (b >= 9 && b <= 13);
}

/** A byte the scanner reads inside a cell: ASCII, no quote, no CR, no control but 9, 11, 12. */
function isPlainByte(b: number): boolean {
  return b < 128 && b !== QUOTE && (b >= 32 || b === 9 || b === 11 || b === 12);
}

/** The column scratch of position `j`, holding at least `size` values (kept: `kept`). */
function scratch(j: number, size: number, kept: number): Float64Array {
  const old = scratchColumns[j];
  if (old !== undefined && old.length >= size) return old;
  const grown = new Float64Array(Math.max(size, 512, (old?.length ?? 0) * 2));
  if (old !== undefined) grown.set(old.subarray(0, kept));
  scratchColumns[j] = grown;
  return grown;
}

function scanBody(layout: Layout, plan: ColumnPlan): DataFrame | undefined {
  const { bytes, crlf } = layout;
  const width = layout.header.length;
  const d = layout.delimiter.charCodeAt(0);
  const decimalComma = layout.delimiter === ';';
  const toNumber = numberReader(layout.delimiter);
  const kinds = columnCodes(plan, width);
  const columns = Array.from({ length: width }, (_, j) => scratch(j, 512, 0));
  let capacity = minLength(columns);
  const n = bytes.length;
  let rows = 0;
  let pos = layout.body;
  while (pos < n) {
    if (rows === capacity) {
      for (let j = 0; j < width; j++) columns[j] = scratch(j, rows + 1, rows);
      capacity = minLength(columns);
    }
    let col = 0;
    let i = pos;
    for (;;) {
      // One cell per turn. A number or a date of the common forms is read as it is scanned
      // (its end is where the value stops); anything else is scanned, then read.
      const cellStart = i;
      const kind = col < width ? (kinds[col] as number) : SKIP;
      let stored = -1;
      if (kind === NUMBER || kind === SNIFF)
        stored = storeNumber(bytes, i, d, decimalComma, columns[col] as Float64Array, rows);
      else if (kind === DATE) stored = storeDate(bytes, i, d, columns[col] as Float64Array, rows);
      if (stored >= 0) i = stored;
      let b: number;
      for (; ; i++) {
        b = i < n ? (bytes[i] as number) : LF;
        if (b === d || b === LF) break;
        if (isPlainByte(b) || (crlf && b === CR && bytes[i + 1] === LF)) continue;
        return undefined;
      }
      let cellEnd = i;
      if (b === LF && crlf && i < n) {
        if (bytes[i - 1] !== CR || i === pos) return undefined;
        cellEnd = i - 1;
      }
      if (b === LF && col === 0 && isBlankLine(bytes, cellStart, cellEnd)) {
        i++; // a blank line (no separator, only spaces): skipped
        break;
      }
      if (col >= width || (b === LF && col !== width - 1)) return undefined;
      if (stored >= 0) {
        if (kind === SNIFF) kinds[col] = NUMBER;
      } else if (kind !== SKIP && kind !== TEXT) {
        const x = readCell(bytes, cellStart, cellEnd, kind, toNumber);
        if (x === undefined) return undefined;
        if (kind === SNIFF && x === x) kinds[col] = NUMBER;
        else if (kind === SNIFF && !isMissing(decode(bytes, cellStart, cellEnd))) {
          kinds[col] = TEXT;
        }
        (columns[col] as Float64Array)[rows] = x;
      }
      col++;
      i++;
      if (b === LF) {
        rows++;
        break;
      }
    }
    pos = i;
  }
  return finish(plan, kinds, columns, rows);
}

/** How each column is read, from the plan: its type when the options say, else SNIFF. */
function columnCodes(plan: ColumnPlan, width: number): Uint8Array {
  const codes = new Uint8Array(width);
  for (let j = 0; j < width; j++) {
    if (plan.names[j] === undefined) codes[j] = SKIP;
    else if (plan.dates.has(j)) codes[j] = DATE;
    else if (plan.numeric.has(j)) codes[j] = NUMBER;
    else codes[j] = SNIFF;
  }
  return codes;
}

function minLength(columns: readonly Float64Array[]): number {
  let min = Infinity;
  for (const c of columns) min = Math.min(min, c.length);
  return min;
}

function isBlankLine(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (!isSpaceByte(bytes[i] as number)) return false;
  return true;
}

/** The frame: its columns copied out of the scratch, side by side in a slab (see below). */
function finish(
  plan: ColumnPlan,
  codes: Uint8Array,
  columns: readonly Float64Array[],
  rows: number,
): DataFrame {
  let kept = 0;
  for (let j = 0; j < codes.length; j++) if (isKept(codes[j] as number)) kept++;
  const bytes = kept * rows * 8;
  const buffer = slabFor(bytes);
  let at = buffer === slab ? slabUsed - bytes : 0;
  const kinds: ColumnKind[] = [];
  const values: (Float64Array | undefined)[] = [];
  for (let j = 0; j < codes.length; j++) {
    const code = codes[j] as number;
    kinds.push(
      code === DATE ? 'date' : code === TEXT ? 'text' : code === SKIP ? 'displaced' : 'number',
    );
    if (!isKept(code)) {
      values.push(undefined);
      continue;
    }
    const column = new Float64Array(buffer, at, rows);
    const from = columns[j] as Float64Array;
    for (let r = 0; r < rows; r++) column[r] = from[r] as number;
    values.push(column);
    at += rows * 8;
  }
  return assembleFrame(plan, kinds, values, rows);
}

/**
 * Frames' columns are carved from slabs of this size, frames of more than an eighth of it get
 * a buffer of their own. Why: a new ArrayBuffer costs 10-100 µs in Chromium whatever its size
 * (2,000 files, three columns each: ~0.3 s of the page's thread), a carve nothing. The price:
 * a frame kept alone keeps its slab alive (at most 128 KiB).
 */
const SLAB_BYTES = 128 << 10;
let slab: ArrayBuffer | undefined;
let slabUsed = 0;

/** A buffer with `bytes` taken for a frame: the slab (its last `bytes` so far), or its own. */
function slabFor(bytes: number): ArrayBuffer {
  if (bytes > SLAB_BYTES >> 3) return new ArrayBuffer(bytes);
  if (slab === undefined || slabUsed + bytes > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabUsed = 0;
  }
  slabUsed += bytes;
  return slab;
}

/** Whether a column of this code has values in the frame. */
function isKept(code: number): boolean {
  return code === DATE || code === NUMBER || code === SNIFF;
}
