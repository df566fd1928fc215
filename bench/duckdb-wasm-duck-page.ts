/**
 * The DuckDB-WASM side of bench/duckdb-wasm.ts's comparison, as ../shared/anchors/duckdb's page
 * runs it: on load, the esbuild bundle of @duckdb/duckdb-wasm is imported (`/duckdb.mjs`), a
 * bundle chosen (`selectBundle`: mvp or eh, as the page is not cross-origin isolated), its
 * worker started, the wasm instantiated and a connection opened. A run goes from the `File`
 * objects of the page's `<input type=file>` to the rows in JS: the files registered (their
 * bytes read by the page and handed over, or as file handles the worker reads), then one query.
 * DuckDB is not a dependency of bask: the driver serves the package from the anchor's folder,
 * and this module names only the few calls it makes.
 */
import type {
  BenchPage,
  PageReady,
  PageRow,
  PageRun,
  PageRunRequest,
} from './duckdb-wasm-contract.js';

/** The calls of @duckdb/duckdb-wasm this page makes. */
interface DuckModule {
  selectBundle(bundles: Record<string, DuckBundle>): Promise<DuckBundle>;
  AsyncDuckDB: new (logger: unknown, worker: Worker) => DuckDb;
  VoidLogger: new () => unknown;
  DuckDBDataProtocol: { BROWSER_FILEREADER: number };
}

interface DuckBundle {
  mainModule: string;
  mainWorker: string | null;
  pthreadWorker?: string | null;
}

interface DuckDb {
  instantiate(mainModule: string, pthreadWorker?: string | null): Promise<unknown>;
  open(config: object): Promise<void>;
  connect(): Promise<DuckConnection>;
  registerFileHandle(name: string, file: File, protocol: number, direct: boolean): Promise<void>;
  registerFileBuffer(name: string, bytes: Uint8Array): Promise<void>;
  dropFile(name: string): Promise<void>;
}

interface DuckConnection {
  query(sql: string): Promise<{ toArray(): Record<string, unknown>[] }>;
}

/** Import .. connection open; the connection. */
async function init(): Promise<{
  ready: PageReady;
  duckdb: DuckModule;
  db: DuckDb;
  conn: DuckConnection;
}> {
  const t0 = performance.now();
  const specifier = '/duckdb.mjs'; // served by the driver, not resolved by a bundler
  const duckdb = (await import(specifier)) as DuckModule;
  const dist = new URL('/dist/', location.href).href;
  const bundle = await duckdb.selectBundle({
    mvp: {
      mainModule: `${dist}duckdb-mvp.wasm`,
      mainWorker: `${dist}duckdb-browser-mvp.worker.js`,
    },
    eh: { mainModule: `${dist}duckdb-eh.wasm`, mainWorker: `${dist}duckdb-browser-eh.worker.js` },
  });
  if (bundle.mainWorker === null) throw new Error('selectBundle chose no worker');
  const db = new duckdb.AsyncDuckDB(new duckdb.VoidLogger(), new Worker(bundle.mainWorker));
  await db.instantiate(bundle.mainModule, bundle.pthreadWorker);
  await db.open({});
  const conn = await db.connect();
  const readyAt = performance.now();
  const meta = (
    await conn.query("SELECT version() AS v, current_setting('threads') AS t")
  ).toArray()[0];
  const name = bundle.mainModule.slice(bundle.mainModule.lastIndexOf('/') + 1);
  return {
    ready: {
      readyAt,
      initMs: readyAt - t0,
      about: `DuckDB-WASM ${String(meta?.['v'])} (${name}, threads ${String(meta?.['t'])})`,
    },
    duckdb,
    db,
    conn,
  };
}

const started = init();

/** One run; the registered files are dropped afterwards, untimed. */
async function run(request: PageRunRequest): Promise<PageRun> {
  const { duckdb, db, conn } = await started;
  const input = document.querySelector<HTMLInputElement>('#files');
  const files = [...(input?.files ?? [])];
  if (files.length === 0) throw new Error('no files picked');
  if (request.sql === undefined || request.prefix === undefined) throw new Error('no query given');
  const names = files.map((f) => `${request.prefix}/${f.name}`);
  const t0 = performance.now();
  if (request.mode === 'buffer') {
    const bytes = await Promise.all(files.map((f) => f.arrayBuffer()));
    await Promise.all(
      bytes.map((b, i) => db.registerFileBuffer(names[i] as string, new Uint8Array(b))),
    );
  } else if (request.mode === 'handle') {
    const reader = duckdb.DuckDBDataProtocol.BROWSER_FILEREADER;
    await Promise.all(
      files.map((f, i) => db.registerFileHandle(names[i] as string, f, reader, true)),
    );
  } else throw new Error(`unknown mode ${request.mode}`);
  const table = await conn.query(request.sql);
  const rows: PageRow[] = table.toArray().map((r) => {
    const file = String(r['file']);
    return {
      file: file.slice(file.lastIndexOf('/') + 1),
      day: String(r['day']),
      spread: Number(r['spread']),
    };
  });
  const totalMs = performance.now() - t0;
  for (const n of names) await db.dropFile(n);
  return { firstMs: totalMs, totalMs, count: rows.length, ...(request.returnRows ? { rows } : {}) };
}

const page: BenchPage = { ready: started.then((s) => s.ready), run };
(window as unknown as { benchPage: BenchPage }).benchPage = page;
