/**
 * Issue 16 benchmark: the sync scheduler as a user meets it, cold-ish: in a fresh process,
 * build a tree graph of N leaves and `get` it on sync, three fresh graphs (best of 3, no other
 * warm-up), then warm (median of 5 after ~200k tasks). Two builds side by side (this checkout
 * and `--base`), alternated process by process. Dask's figure comes from bench/sync.ts
 * (same graphs) run in the same session.
 *
 *   npm run build && node dist/bench/sync-cold.js --base /tmp/engine-base [--sizes 10000,100000]
 */
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { alternateBuilds, arg, record, save, summarize } from './lib.js';

const SIZES = arg('sizes', '10000,100000').split(',').map(Number);
const REPS = Number(arg('reps', '3'));
const HERE = fileURLToPath(new URL('../../', import.meta.url));

interface ChildRow {
  cold_us_per_task: number;
  warm_us_per_task: number;
}

async function child(root: string, n: number): Promise<ChildRow> {
  type Bask = typeof import('../src/index.node.js');
  type Graphs = typeof import('./graphs.js');
  const bask = (await import(pathToFileURL(join(root, 'dist/src/index.node.js')).href)) as Bask;
  const { treeGraph } = (await import(
    pathToFileURL(join(root, 'dist/bench/graphs.js')).href
  )) as Graphs;
  const run = async (): Promise<number> => {
    const { graph, key, tasks, expect } = treeGraph(n);
    const t0 = performance.now();
    if ((await bask.get(graph, key, { scheduler: 'sync' })) !== expect) throw new Error('wrong');
    return ((performance.now() - t0) * 1000) / tasks;
  };
  const cold = Math.min(await run(), await run(), await run());
  for (let done = 0; done < 200_000; done += 2 * n) await run();
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) warm.push(await run());
  return { cold_us_per_task: cold, warm_us_per_task: summarize(warm).median };
}

if (process.argv.includes('--child')) {
  console.log(JSON.stringify(await child(arg('child', HERE), Number(arg('n', '10000')))));
} else {
  const rows: object[] = [];
  for (const n of SIZES) {
    const samples = await alternateBuilds<ChildRow>(fileURLToPath(import.meta.url), REPS, [
      '--n',
      String(n),
    ]);
    for (const [name, list] of samples)
      record(rows, {
        kind: 'sync-cold',
        build: name,
        leaves: n,
        tasks: 2 * n - 1,
        cold_us_per_task:
          Math.round(summarize(list.map((r) => r.cold_us_per_task)).median * 100) / 100,
        warm_us_per_task:
          Math.round(summarize(list.map((r) => r.warm_us_per_task)).median * 100) / 100,
        reps: list.length,
      });
  }
  save('sync-cold', rows);
}
