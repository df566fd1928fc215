/**
 * Issue 2, benchmark (1): per-task overhead of the sync scheduler on raw tree and chain graphs of
 * 1k/10k/100k tasks, and delayed graph build + compute at N = 10k; Dask's sync scheduler
 * (dask.get) on the same graphs in the same run, with ratios. Goal: at most 1/10 of Dask.
 *
 * Reported: the median of warm runs (after ~200k tasks of warm-up: V8 compiles hot code only
 * after many calls), and the first, cold run of each size (`first_us_per_task`).
 *
 *   npm run build && node --expose-gc dist/bench/sync.js [--sizes 1000,10000,100000] [--reps 5] [--no-dask]
 */
import { compute, get } from 'bask';
import { chainGraph, delayedChain, delayedTree, treeGraph } from './graphs.js';
import { arg, daskAnchor, hasDask, measure, perTask, record, save } from './lib.js';

const sizes = arg('sizes', '1000,10000,100000').split(',').map(Number);
const reps = Number(arg('reps', '5'));
const rows: object[] = [];

for (const [name, make] of [
  ['tree', treeGraph],
  ['chain', chainGraph],
] as const) {
  for (const n of sizes) {
    const { graph, key, tasks, expect } = make(n);
    const s = await measure(
      async () => {
        const r = await get(graph, key, { scheduler: 'sync' });
        if (r !== expect) throw new Error(`wrong result ${String(r)}`);
      },
      reps,
      Math.max(3, Math.ceil(200_000 / tasks)),
    );
    record(rows, {
      kind: 'raw',
      lib: 'bask',
      scheduler: 'sync',
      graph: name,
      n,
      tasks,
      wall_s: s.median,
      min_s: s.min,
      max_s: s.max,
      spread_pct: Math.round(s.spreadPct),
      first_s: s.first,
      us_per_task: perTask(s.median, tasks),
      first_us_per_task: perTask(s.first, tasks),
    });
  }
}

for (const [name, build] of [
  ['tree', delayedTree],
  ['chain', delayedChain],
] as const) {
  const n = 10_000;
  const b = await measure(
    () => {
      build(n);
    },
    reps,
    1,
  );
  const value = build(n);
  const c = await measure(async () => compute(value, { scheduler: 'sync' }), reps, 10);
  const tasks = name === 'tree' ? 2 * n - 1 : n;
  record(rows, {
    kind: 'delayed',
    lib: 'bask',
    graph: name,
    n,
    tasks,
    build_s: b.median,
    build_us_per_task: perTask(b.median, tasks),
    compute_s: c.median,
    compute_us_per_task: perTask(c.median, tasks),
  });
}

if (!process.argv.includes('--no-dask') && (await hasDask())) {
  const dask = await daskAnchor('bench_dask_local.py', [
    '--sizes',
    sizes.join(','),
    '--reps',
    '3',
    '--only',
    'sync',
  ]);
  for (const row of dask) record(rows, { lib: 'dask', ...row });
  for (const mine of rows.filter(
    (r) =>
      (r as { lib?: string; kind?: string }).lib === 'bask' &&
      (r as { kind?: string }).kind === 'raw',
  ) as { graph: string; n: number; us_per_task: number }[]) {
    const theirs = dask.find(
      (d) =>
        d['kind'] === 'raw' &&
        d['graph'] === mine.graph &&
        d['n'] === mine.n &&
        d['scheduler'] === 'sync',
    );
    if (theirs !== undefined)
      record(rows, {
        kind: 'ratio',
        graph: mine.graph,
        n: mine.n,
        bask_us: mine.us_per_task,
        dask_us: theirs['us_per_task'],
        bask_over_dask:
          Math.round((mine.us_per_task / Number(theirs['us_per_task'])) * 1000) / 1000,
      });
  }
}
save('sync', rows);
