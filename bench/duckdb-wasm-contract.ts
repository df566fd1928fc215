/**
 * What the pages of bench/duckdb-wasm.ts offer their driver, types only: each page (DuckDB-WASM
 * in duckdb-wasm-duck-page.ts, bask in duckdb-wasm-bask-page.ts) sets `window.benchPage`, and
 * the driver calls it over CDP. Times are the page's `performance.now()` in ms, so a time
 * "at" something is measured from the start of the navigation.
 */

/** One file's result, as both sides report it. */
export interface PageRow {
  /** The file's base name. */
  readonly file: string;
  /** `YYYY-MM-DD` of the file's first timestamp. */
  readonly day: string;
  readonly spread: number;
}

/** The page, once its library can take files. */
export interface PageReady {
  /** When the library was ready (ms since navigation). */
  readonly readyAt: number;
  /** DuckDB: import of the bundle .. connection open; bask: 0 (its pool starts on first use). */
  readonly initMs: number;
  /** What the library runs as (DuckDB's bundle and threads; bask's version of the page). */
  readonly about: string;
}

/** One run: from the `File` objects of the page's input to every result in JS. */
export interface PageRun {
  /** To the first file's result (DuckDB: one query, so all of them). */
  readonly firstMs: number;
  readonly totalMs: number;
  /** Results that came back (failures not counted). */
  readonly count: number;
  /** The results, when the driver asked for them. */
  readonly rows?: readonly PageRow[];
}

/** What a run is told. */
export interface PageRunRequest {
  /** bask: 'sync' or 'threads'; DuckDB: 'buffer' or 'handle' (how the files are registered). */
  readonly mode: string;
  /** DuckDB: the query, over `${prefix}/*.csv`. */
  readonly sql?: string;
  readonly prefix?: string;
  readonly returnRows: boolean;
}

/** `window.benchPage`. */
export interface BenchPage {
  readonly ready: Promise<PageReady>;
  run(request: PageRunRequest): Promise<PageRun>;
}
