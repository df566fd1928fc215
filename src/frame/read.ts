/**
 * `readCsv`: a CSV from wherever it lives (a path, a URL, a File or Blob, bytes) to a
 * DataFrame. Loading is here; parsing is `parseCsv`.
 *
 * Policy, like pandas: a string is a path, or a URL when it starts with http:, https:, file:,
 * data: or blob:. In Node a path (and a file: URL) is read with `fs`, imported dynamically so
 * that this module stays loadable in browsers and Web Workers; the read is synchronous because
 * a small file costs ~20 µs that way against ~300 µs through the thread pool, and tasks run in
 * workers (or, for the sync scheduler, block like Dask's sync reads do). Elsewhere a path
 * is fetched relative to the page. Bytes are decoded as UTF-8. The file name in error messages
 * is `options.name`, else the path, the URL or the File's name.
 */
import { BaskError } from '../errors.js';
import { parseCsv, type ReadCsvOptions, type StockColumn } from './csv.js';
import type { Frame } from './dataframe.js';
import type { DatetimeIndex, FrameIndex } from './indexes.js';
import { csvError, type CsvInput } from './text.js';
import { sentBytesOf } from '../wire/clone.js';

/** Where `readCsv` can read a CSV from. */
export type CsvSource = string | URL | Blob | ArrayBuffer | Uint8Array;

/** A source's bytes (or text) and the name to use in messages. */
export interface LoadedCsv {
  readonly data: CsvInput;
  readonly name: string | undefined;
}

const URL_LIKE = /^(https?|file|data|blob):/i;
// Held in a variable so that bundlers leave the Node-only import alone.
const FS_MODULE = 'node:fs';
let fsModule: typeof import('node:fs') | undefined;
/** `loadCsvNow`'s buffer, reused from file to file (one per thread: module state). */
let readScratch = new Uint8Array(0);
/** A larger `readScratch` is dropped at the next read. */
const KEEP_BYTES = 1 << 24;

/**
 * Reads a CSV into a DataFrame, as pandas' `read_csv`:
 * `await readCsv('GOOG/2023-01-02.csv', { parseDates: ['timestamp'], indexCol: 'timestamp' })`.
 */
export async function readCsv<C extends string = StockColumn>(
  source: CsvSource,
  options: ReadCsvOptions & { indexCol: string },
): Promise<Frame<C, DatetimeIndex>>;
export async function readCsv<C extends string = StockColumn, I extends FrameIndex = FrameIndex>(
  source: CsvSource,
  options?: ReadCsvOptions,
): Promise<Frame<C, I>>;
export async function readCsv(source: CsvSource, options: ReadCsvOptions = {}): Promise<Frame> {
  const loaded = loadCsvNow(source, options.name) ?? (await loadCsvSource(source, options.name));
  return parseCsv(
    loaded.data,
    loaded.name === undefined ? options : { ...options, name: loaded.name },
  );
}

/** Loads a source's contents without parsing them; throws ERR_CSV when it cannot be read. */
export async function loadCsvSource(source: CsvSource, name?: string): Promise<LoadedCsv> {
  if (typeof source === 'string') {
    const label = name ?? source;
    if (URL_LIKE.test(source)) return { data: await readUrl(new URL(source), label), name: label };
    const data = isNode() ? await readFile(source, label) : await fetchBytes(source, label);
    return { data, name: label };
  }
  if (source instanceof URL) {
    const label = name ?? source.href;
    return { data: await readUrl(source, label), name: label };
  }
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    const fileName = (source as Blob & { name?: unknown }).name;
    return {
      // A File that came over the wire keeps the bytes it was made of: no read back.
      data: sentBytesOf(source) ?? (await source.arrayBuffer()),
      name: name ?? (typeof fileName === 'string' ? fileName : undefined),
    };
  }
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return { data: source, name };
  throw new BaskError(
    'ERR_INVALID_ARGUMENT',
    `readCsv(source): source must be a path or URL string, a URL, a File or Blob, or bytes; got ${describe(source)}`,
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
}

function isNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: unknown } } }).process;
  return typeof proc?.versions?.node === 'string';
}

async function readUrl(url: URL, label: string): Promise<CsvInput> {
  if (url.protocol === 'file:' && isNode()) return readFile(url, label);
  return fetchBytes(url, label);
}

async function readFile(path: string | URL, label: string): Promise<Uint8Array> {
  fsModule ??= (await import(
    /* @vite-ignore */ /* webpackIgnore: true */ FS_MODULE
  )) as typeof import('node:fs');
  try {
    return fsModule.readFileSync(path);
  } catch (error) {
    throw cannotRead(error, label);
  }
}

/**
 * A path's contents read synchronously into this thread's scratch buffer, when `source` is a
 * file path (not a URL) and Node's `fs` is loaded (from the first read on); else undefined,
 * and `loadCsvSource` is the way. The bytes stay valid only until the next call in this
 * thread: parse them before anything else can run (no `await` in between). Per file that
 * saves a buffer of the file's size, and the collections it costs.
 */
export function loadCsvNow(source: CsvSource, name?: string): LoadedCsv | undefined {
  if (typeof source !== 'string' || fsModule === undefined || URL_LIKE.test(source)) {
    return undefined;
  }
  const label = name ?? source;
  const fs = fsModule;
  // The last file's bytes are dead by now: a huge one does not pin its size for good.
  if (readScratch.length > KEEP_BYTES) readScratch = new Uint8Array(0);
  try {
    const fd = fs.openSync(source, 'r');
    try {
      let size = 0;
      for (;;) {
        // One byte of room past the end tells the end of the file from a full buffer.
        if (readScratch.length <= size) {
          const grown = new Uint8Array(Math.max(size * 2, fs.fstatSync(fd).size + 1, 65536));
          grown.set(readScratch.subarray(0, size));
          readScratch = grown;
        }
        const n = fs.readSync(fd, readScratch, size, readScratch.length - size, null);
        if (n === 0) break;
        size += n;
      }
      return { data: readScratch.subarray(0, size), name: label };
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    throw cannotRead(error, label);
  }
}

function cannotRead(error: unknown, label: string): BaskError {
  const code = (error as { code?: unknown }).code;
  const why =
    code === 'ENOENT'
      ? 'no such file. Check the path (relative paths start at the current directory).'
      : code === 'EISDIR'
        ? 'it is a folder. Pass one CSV file (listCsvFiles from bask/seed/node lists a folder).'
        : `${error instanceof Error ? error.message : String(error)}.`;
  return csvError(label, undefined, `cannot be read: ${why}`, error);
}

async function fetchBytes(url: string | URL, label: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw csvError(
      label,
      undefined,
      `cannot be fetched (${why}). Check the URL, the network, and CORS.`,
      error,
    );
  }
  if (!response.ok) {
    throw csvError(
      label,
      undefined,
      `cannot be fetched: HTTP ${response.status} ${response.statusText}.`.trimEnd(),
    );
  }
  return new Uint8Array(await response.arrayBuffer());
}
