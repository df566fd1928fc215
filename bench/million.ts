/**
 * Issue 2, benchmark (2): a 1M-task graph (a tree reduction of 500,000 leaves: 999,999 tasks)
 * on the sync scheduler: wall time, and heap per task at the middle of the run (after a forced
 * GC, measured from inside a task), split into the graph the user built and what bask adds.
 * Goal: at most ~500 bytes of heap per task (Dask's scheduler: about 1 kB per task).
 *
 *   npm run build && node --expose-gc dist/bench/million.js [--leaves 500000]
 */
import { get, ref, task } from 'bask';
import { arg, record, save } from './lib.js';

const LEAVES = Number(arg('leaves', '500000'));
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');
const rows: object[] = [];

let probeAt = 0;
let calls = 0;
let heapAtProbe = 0;
/** The leaf task; at the middle of the run it measures the heap. */
const leaf = (x: number): number => {
  if (++calls === probeAt) {
    gc();
    heapAtProbe = process.memoryUsage().heapUsed;
  }
  return x + 1;
};
const add = (a: number, b: number): number => a + b;

function tree(n: number): { graph: Record<string, unknown>; key: string; tasks: number } {
  const graph: Record<string, unknown> = {};
  let level: string[] = [];
  for (let i = 0; i < n; i++) {
    graph[`inc-${i}`] = task(leaf, i);
    level.push(`inc-${i}`);
  }
  let c = 0;
  while (level.length > 1) {
    const next: string[] = [];
    for (let j = 0; j + 1 < level.length; j += 2) {
      graph[`add-${c}`] = task(add, ref(level[j] as string), ref(level[j + 1] as string));
      next.push(`add-${c++}`);
    }
    if (level.length % 2 === 1) next.push(level[level.length - 1] as string);
    level = next;
  }
  return { graph, key: level[0] as string, tasks: 2 * n - 1 };
}

gc();
const base = process.memoryUsage().heapUsed;
const t0 = performance.now();
const { graph, key, tasks } = tree(LEAVES);
const buildS = (performance.now() - t0) / 1000;
gc();
const withGraph = process.memoryUsage().heapUsed;
probeAt = LEAVES / 2;
const t1 = performance.now();
const result = await get(graph, key, { scheduler: 'sync' });
const wallS = (performance.now() - t1) / 1000;
if (result !== (LEAVES * (LEAVES + 1)) / 2) throw new Error(`wrong result ${String(result)}`);
record(rows, {
  kind: 'million',
  scheduler: 'sync',
  tasks,
  build_s: buildS,
  wall_s: wallS,
  us_per_task: Math.round((wallS / tasks) * 1e8) / 100,
  graph_bytes_per_task: Math.round((withGraph - base) / tasks),
  bask_bytes_per_task: Math.round((heapAtProbe - withGraph) / tasks),
  total_bytes_per_task: Math.round((heapAtProbe - base) / tasks),
  peak_rss_mb: Math.round(process.memoryUsage().rss / 1e6),
});
save('million', rows);
