/**
 * Issue 5 benchmarks, the cluster: a real `bask scheduler` with 2 `bask worker` processes of
 * one thread each (Dask's LocalCluster(n_workers=2, threads_per_worker=1) shape), measured:
 *  - start: spawning the scheduler and both workers until a client sees 2 workers;
 *  - latency: `submit(inc, i).result()` round trips (500 sequential, after 2,000 of warm-up:
 *    V8 compiles the hot paths of all three processes only after many calls; cold, the first
 *    hundreds take about twice as long);
 *  - `get` of the tree and chain graphs (N = 1k, 10k), `map` of 10k + gather, a submit loop;
 *  - scale: a 1M-task graph completes; the scheduler's peak heap per task (from /metrics);
 * and Dask distributed on the same shapes in the same run (bench_dask_distributed.py).
 * Goals: 10x Dask's tasks/s, 1/10 of its round-trip latency.
 *
 *   npm run build && node dist/bench/cluster.js [--reps 3] [--no-dask] [--million 500000]
 */
import type { ChildProcess } from 'node:child_process';
import { Client, get } from 'bask';
import { chainGraph, inc, treeGraph } from './graphs.js';
import { arg, daskAnchor, hasDask, measure, record, save } from './lib.js';
import { bask } from './processes.js';

const REPS = Number(arg('reps', '3'));
const MILLION_LEAVES = Number(arg('million', '500000'));
const rows: object[] = [];

async function startCluster(): Promise<{
  address: string;
  http: string;
  children: ChildProcess[];
  client: Client;
  seconds: number;
}> {
  const t0 = performance.now();
  const scheduler = await bask(
    ['scheduler', '--port', '0', '--dashboard-port', '0'],
    /Scheduler at: (\S+)\s+Dashboard at: (\S+)\/status/,
  );
  const address = scheduler.match[1] as string;
  const workers = await Promise.all(
    [1, 2].map((i) =>
      bask(['worker', address, '--nthreads', '1', '--name', `w${i}`], /registered/),
    ),
  );
  const client = await Client.connect(address, { setAsDefault: false });
  while ((await client.info()).workers.length < 2) await new Promise((r) => setTimeout(r, 5));
  return {
    address,
    http: scheduler.match[2] as string,
    children: [scheduler.child, ...workers.map((w) => w.child)],
    client,
    seconds: (performance.now() - t0) / 1000,
  };
}

function stop(children: ChildProcess[]): void {
  for (const c of children) c.kill();
}

// ---- start-up, latency, throughput ---------------------------------------------------------
const starts: number[] = [];
for (let i = 0; i < REPS; i++) {
  const c = await startCluster();
  starts.push(c.seconds);
  await c.client.close();
  stop(c.children);
}
starts.sort((a, b) => a - b);
record(rows, {
  kind: 'start',
  lib: 'bask',
  what: 'scheduler + 2 worker processes + client',
  median_s: starts[starts.length >> 1],
});
const t0 = performance.now();
const local = await Client.local({ numWorkers: 2, setAsDefault: false });
await local.submit(inc, 1, { pure: false }).result();
record(rows, {
  kind: 'start',
  lib: 'bask',
  what: 'Client.local (in-process pool of 2)',
  median_s: (performance.now() - t0) / 1000,
});
await local.close();

const cluster = await startCluster();
const client = cluster.client;
for (let i = 0; i < 2000; i++) {
  const f = client.submit(inc, i, { pure: false });
  await f.result();
  f.release();
}
const lat: number[] = [];
for (let i = 0; i < 500; i++) {
  const s = performance.now();
  const f = client.submit(inc, i, { pure: false });
  await f.result();
  lat.push(performance.now() - s);
  f.release();
}
lat.sort((a, b) => a - b);
record(rows, {
  kind: 'latency',
  lib: 'bask',
  what: 'submit(inc).result() round trip',
  median_ms: lat[250],
  p90_ms: lat[450],
});

for (const [name, make] of [
  ['tree', treeGraph],
  ['chain', chainGraph],
] as const) {
  for (const n of [1000, 10000]) {
    const { graph, key, tasks, expect } = make(n);
    const s = await measure(
      async () => {
        if ((await get(graph, key, { scheduler: client })) !== expect)
          throw new Error('wrong result');
      },
      // Small graphs take milliseconds: more runs for a stable median, and a warm-up of ~20k
      // tasks so that V8 has compiled the three processes' hot paths (as in a running cluster).
      Math.max(REPS, Math.ceil(50_000 / tasks)),
      Math.max(1, Math.ceil(20_000 / tasks)),
    );
    record(rows, {
      kind: 'get',
      lib: 'bask',
      graph: name,
      n,
      tasks,
      wall_s: s.median,
      us_per_task: Math.round((s.median / tasks) * 1e7) / 10,
      tasks_per_s: Math.round(tasks / s.median),
    });
  }
}
const items = Array.from({ length: 10_000 }, (_, i) => i);
const m = await measure(
  async () => {
    const futures = client.map(inc, items, { pure: false });
    await client.gather(futures);
    for (const f of futures) f.release();
  },
  REPS,
  1,
);
record(rows, {
  kind: 'map',
  lib: 'bask',
  what: 'client.map(10k) + gather',
  tasks: 10_000,
  wall_s: m.median,
  tasks_per_s: Math.round(10_000 / m.median),
});
const l = await measure(
  async () => {
    const futures = items.map((i) => client.submit(inc, i, { pure: false }));
    await client.gather(futures);
    for (const f of futures) f.release();
  },
  REPS,
  1,
);
record(rows, {
  kind: 'map',
  lib: 'bask',
  what: 'submit loop (10k) + gather',
  tasks: 10_000,
  wall_s: l.median,
  tasks_per_s: Math.round(10_000 / l.median),
});

// ---- scale: 1M tasks through the scheduler ---------------------------------------------------
let peakHeap = 0;
const heap = async (): Promise<number> => {
  const text = await (await fetch(`${cluster.http}/metrics`)).text();
  return Number(/bask_scheduler_heap_bytes (\d+)/.exec(text)?.[1] ?? 0);
};
const idleHeap = await heap();
const poll = setInterval(() => {
  heap().then(
    (h) => (peakHeap = Math.max(peakHeap, h)),
    () => undefined,
  );
}, 200);
const big = treeGraph(MILLION_LEAVES);
const t1 = performance.now();
const total = await get(big.graph, big.key, { scheduler: client });
const bigS = (performance.now() - t1) / 1000;
clearInterval(poll);
if (total !== big.expect) throw new Error('wrong million result');
record(rows, {
  kind: 'scale',
  lib: 'bask',
  tasks: big.tasks,
  wall_s: bigS,
  tasks_per_s: Math.round(big.tasks / bigS),
  scheduler_peak_heap_mb: Math.round(peakHeap / 1e6),
  scheduler_bytes_per_task: Math.round((peakHeap - idleHeap) / big.tasks),
});
await client.close();
stop(cluster.children);

if (!process.argv.includes('--no-dask') && (await hasDask())) {
  const dask = await daskAnchor('bench_dask_distributed.py', [
    '--reps',
    String(REPS),
    '--sizes',
    '1000,10000',
    '--map-n',
    '10000',
  ]);
  for (const row of dask) record(rows, { lib: 'dask', ...row });
}
save('cluster', rows);
