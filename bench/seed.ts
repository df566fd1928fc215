/**
 * The seed workload (issues 2, 3 and 4): the Dask tutorial's daily spreads over 250 CSV files of
 * 390 minute bars, on the same files for every contender, in one run:
 *  - bask: a plain loop (no scheduler), sync, the worker pool (2 workers), a cluster (a real
 *    `bask scheduler` with one `bask worker` process of 2 threads), and the `bask spreads` CLI;
 *  - Dask: plain pandas, sync, threads, processes, distributed (../shared/anchors/bench_stocks.py).
 * Goal: the pool at most 1/4 of Dask's best local time.
 *
 *   npm run build && node dist/bench/seed.js [--reps 5] [--no-dask]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client, Pool, compute } from 'bask';
import { buildSpreads, readPrices } from 'bask/seed';
import { arg, daskAnchor, hasDask, measure, record, save, seedStocks } from './lib.js';
import { bask, killChildren, scheduler } from './processes.js';

const REPS = Number(arg('reps', '5'));
const DATA = '/tmp/stocks/GOOG';
const CLI = fileURLToPath(new URL('../../bin/bask.js', import.meta.url));
const rows: object[] = [];

async function plainLoop(files: string[]): Promise<void> {
  for (const f of files) {
    const df = await readPrices(f);
    void (df.high.max() - df.low.min());
    void df.index.at(0);
  }
}

async function time(label: string, fn: () => Promise<unknown>, warmup = 2): Promise<void> {
  const s = await measure(fn, REPS, warmup);
  record(rows, {
    kind: 'stocks',
    lib: 'bask',
    scheduler: label,
    files: 250,
    wall_s: s.median,
    min_s: s.min,
    max_s: s.max,
    spread_pct: Math.round(s.spreadPct),
    first_s: s.first,
  });
}

function cliWallTime(files: string, scheduler: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [CLI, 'spreads', files, '--scheduler', scheduler, '--json'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', () => {
      const m = /Wall time: ([\d.]+) (ms|s)/.exec(err);
      if (m === null) reject(new Error(`no wall time in: ${err}`));
      else resolve(Number(m[1]) / (m[2] === 'ms' ? 1000 : 1));
    });
  });
}

async function startCluster(): Promise<{ address: string; stop: () => void }> {
  const { address } = await scheduler();
  await bask(['worker', address, '--nthreads', '2'], /registered/);
  return { address, stop: killChildren };
}

const { files } = await seedStocks(250, '/tmp/stocks');
await time('plain loop (no scheduler)', () => plainLoop(files));
/** The seed graph for every file, computed with `scheduler`. */
const spreads = (scheduler: 'sync' | Pool | Client): Promise<unknown> => {
  const g = buildSpreads(files);
  return compute(g.spreads, g.days, { scheduler });
};
await time('sync', () => spreads('sync'));
const pool = new Pool({ numWorkers: 2 });
await time('threads (pool of 2)', () => spreads(pool));
await pool.close();
const cluster = await startCluster();
const client = await Client.connect(cluster.address, { setAsDefault: false });
await time('cluster (scheduler + 1 worker process x 2 threads)', () => spreads(client));
await client.close();
cluster.stop();
for (const scheduler of ['sync', 'threads']) {
  const walls: number[] = [];
  for (let i = 0; i < REPS; i++) walls.push(await cliWallTime(DATA, scheduler));
  walls.sort((a, b) => a - b);
  record(rows, {
    kind: 'stocks',
    lib: 'bask spreads (CLI)',
    scheduler,
    files: 250,
    wall_s: walls[walls.length >> 1],
  });
}

if (!process.argv.includes('--no-dask') && (await hasDask())) {
  const dask = await daskAnchor('bench_stocks.py', ['--data', DATA, '--reps', '3']);
  for (const row of dask) record(rows, { lib: 'dask', ...row });
  const local = dask.filter(
    (r) =>
      r['kind'] === 'stocks' && ['sync', 'threads', 'processes'].includes(String(r['scheduler'])),
  );
  const best = Math.min(...local.map((r) => Number(r['wall_s'])));
  for (const mine of rows.filter((r) => (r as { lib?: string }).lib === 'bask') as {
    scheduler: string;
    wall_s: number;
  }[]) {
    record(rows, {
      kind: 'ratio',
      scheduler: mine.scheduler,
      bask_s: mine.wall_s,
      dask_best_local_s: best,
      bask_over_dask_best: Math.round((mine.wall_s / best) * 1000) / 1000,
    });
  }
}
save('seed', rows, {
  data: DATA,
  files: files.length,
  sample: readFileSync(files[0] as string, 'utf8').split('\n')[1],
});
