/**
 * The bask side of bench/duckdb-wasm.ts's comparison: a minimal page that runs the seed
 * workload with `runSpreads` on the `File` objects of its `<input type=file>`, from bask's
 * browser entry, bundled by the driver with the default pool worker (as an app ships it).
 * Nothing is drawn, as DuckDB's page draws nothing. Opened as `bask.html?scheduler=threads`,
 * the page starts the pool as it loads (`defaultPool.start()`, as the demo does) and is ready
 * once its workers are: its ready time then includes their start, as DuckDB's includes its
 * init.
 */
import { defaultPool } from '../src/index.browser.js';
import { isSpreadFailure, runSpreads } from '../src/seed/index.js';
import type { BenchPage, PageRow, PageRun, PageRunRequest } from './duckdb-wasm-contract.js';

const startsPool = new URLSearchParams(location.search).get('scheduler') === 'threads';
const readyAt = startsPool
  ? defaultPool.start().then(() => performance.now())
  : Promise.resolve(performance.now());

async function run(request: PageRunRequest): Promise<PageRun> {
  const input = document.querySelector<HTMLInputElement>('#files');
  const files = [...(input?.files ?? [])];
  if (files.length === 0) throw new Error('no files picked');
  if (request.mode !== 'sync' && request.mode !== 'threads')
    throw new Error(`unknown scheduler ${request.mode}`);
  let firstMs = NaN;
  const t0 = performance.now();
  const results = await runSpreads(files, {
    scheduler: request.mode,
    onResult: () => {
      if (Number.isNaN(firstMs)) firstMs = performance.now() - t0;
    },
  });
  const totalMs = performance.now() - t0;
  const rows: PageRow[] = [];
  for (const r of results) {
    if (!isSpreadFailure(r))
      rows.push({ file: r.file, day: r.day.toISOString().slice(0, 10), spread: r.spread });
  }
  return {
    firstMs,
    totalMs,
    count: rows.length,
    ...(request.returnRows ? { rows } : {}),
  };
}

const page: BenchPage = {
  ready: readyAt.then((at) => ({
    readyAt: at,
    initMs: 0,
    about: `bask, ${navigator.hardwareConcurrency} cores`,
  })),
  run,
};
(window as unknown as { benchPage: BenchPage }).benchPage = page;
