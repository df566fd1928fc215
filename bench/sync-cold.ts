/**
 * Issue 16 benchmark: the sync scheduler as a user meets it, cold-ish: in a fresh process,
 * build a tree graph of N leaves (or a chain of N tasks) and `get` it on sync, three fresh
 * graphs (best of 3, no other warm-up), then warm (median of 5 after ~200k tasks). Two builds
 * side by side (this checkout and `--base`), alternated process by process; Dask's sync
 * scheduler on the same graphs in the same run (its anchor, best and median of 3 runs of one
 * graph), with the ratio of bask's cold figure to Dask's best.
 *
 *   npm run build && node dist/bench/sync-cold.js --base /tmp/engine-base \
 *     [--sizes 10000,100000] [--graphs tree,chain] [--reps 3] [--no-dask]
 */
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { alternateBuilds, arg, daskAnchor, hasDask, record, save, summarize } from './lib.js';

const SIZES = arg('sizes', '10000,100000').split(',').map(Number);
const GRAPHS = arg('graphs', 'tree,chain').split(',');
const REPS = Number(arg('reps', '3'));
const HERE = fileURLToPath(new URL('../../', import.meta.url));

interface ChildRow {
  cold_us_per_task: number;
  warm_us_per_task: number;
}

async function child(root: string, n: number, shape: string): Promise<ChildRow> {
  type Bask = typeof import('../src/index.node.js');
  type Graphs = typeof import('./graphs.js');
  const bask = (await import(pathToFileURL(join(root, 'dist/src/index.node.js')).href)) as Bask;
  const { treeGraph, chainGraph } = (await import(
    pathToFileURL(join(root, 'dist/bench/graphs.js')).href
  )) as Graphs;
  const make = shape === 'chain' ? chainGraph : treeGraph;
  const run = async (): Promise<number> => {
    const { graph, key, tasks, expect } = make(n);
    const t0 = performance.now();
    if ((await bask.get(graph, key, { scheduler: 'sync' })) !== expect) throw new Error('wrong');
    return ((performance.now() - t0) * 1000) / tasks;
  };
  const cold = Math.min(await run(), await run(), await run());
  for (let done = 0; done < 200_000; done += shape === 'chain' ? n : 2 * n) await run();
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) warm.push(await run());
  return { cold_us_per_task: cold, warm_us_per_task: summarize(warm).median };
}

if (process.argv.includes('--child')) {
  const n = Number(arg('n', '10000'));
  console.log(JSON.stringify(await child(arg('child', HERE), n, arg('graph', 'tree'))));
} else {
  const rows: object[] = [];
  const cold = new Map<string, number>();
  for (const shape of GRAPHS) {
    for (const n of SIZES) {
      const samples = await alternateBuilds<ChildRow>(fileURLToPath(import.meta.url), REPS, [
        '--n',
        String(n),
        '--graph',
        shape,
      ]);
      for (const [name, list] of samples) {
        const coldUs = summarize(list.map((r) => r.cold_us_per_task)).median;
        cold.set(`${name} ${shape} ${n}`, coldUs);
        record(rows, {
          kind: 'sync-cold',
          build: name,
          graph: shape,
          n,
          tasks: shape === 'chain' ? n : 2 * n - 1,
          cold_us_per_task: Math.round(coldUs * 100) / 100,
          warm_us_per_task:
            Math.round(summarize(list.map((r) => r.warm_us_per_task)).median * 100) / 100,
          reps: list.length,
        });
      }
    }
  }
  if (!process.argv.includes('--no-dask') && (await hasDask())) {
    const dask = await daskAnchor('bench_dask_local.py', [
      '--sizes',
      SIZES.join(','),
      '--reps',
      '3',
      '--only',
      'sync',
    ]);
    for (const d of dask) {
      if (d['kind'] !== 'raw' || d['scheduler'] !== 'sync' || !GRAPHS.includes(String(d['graph'])))
        continue;
      const tasks = Number(d['tasks']);
      const bestUs = (Number(d['min_s']) / tasks) * 1e6;
      record(rows, {
        kind: 'dask',
        graph: d['graph'],
        n: d['n'],
        tasks,
        best_us_per_task: Math.round(bestUs * 100) / 100,
        median_us_per_task: d['us_per_task'],
      });
      for (const build of ['base', 'new']) {
        const mine = cold.get(`${build} ${String(d['graph'])} ${String(d['n'])}`);
        if (mine !== undefined)
          record(rows, {
            kind: 'ratio',
            build,
            graph: d['graph'],
            n: d['n'],
            cold_over_dask_best: Math.round((mine / bestUs) * 1000) / 1000,
          });
      }
    }
  }
  save('sync-cold', rows);
}
