/**
 * Issue 3 benchmarks, the worker pool in Node (2 workers):
 *  - throughput: 100k independent tasks of `x => x + 1` as one graph through `get`;
 *  - latency: single-task `get` round trips (median, p99);
 *  - CPU: 16 tasks of ~50 ms pure arithmetic on 1 vs 2 workers (speedup);
 * side by side in the same run with piscina, tinypool, workerpool and raw worker_threads
 * (the Node anchors, ../shared/anchors/js: `run.sh pools`).
 *
 *   npm run build && node dist/bench/pool.js [--n 100000] [--lat-n 5000] [--reps 3] [--no-peers]
 */
import { Pool, get, task } from 'bask';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { anchors, arg, measure, record, run, save, summarize } from './lib.js';

const N = Number(arg('n', '100000'));
const LAT_N = Number(arg('lat-n', '5000'));
const REPS = Number(arg('reps', '3'));
const rows: object[] = [];

const inc = (x: number): number => x + 1;

/** The anchors' CPU task: pure arithmetic, self-contained (ships as source). */
const spin = (n: number): number => {
  let s = 0;
  for (let i = 0; i < n; i++) s = (s * 31 + i) % 1000003;
  return s;
};

function calibrate(targetMs: number): number {
  for (let i = 0; i < 5; i++) spin(2e6);
  let n = 2e6;
  for (let k = 0; k < 4; k++) {
    const t0 = performance.now();
    spin(n);
    n = Math.round((n * targetMs) / (performance.now() - t0));
  }
  return n;
}

async function throughput(pool: Pool): Promise<void> {
  const graph: Record<string, unknown> = {};
  const keys: string[] = [];
  for (let i = 0; i < N; i++) {
    graph[`inc-${i}`] = task(inc, i);
    keys.push(`inc-${i}`);
  }
  const s = await measure(
    async () => {
      const r = (await get(graph, keys, { scheduler: pool })) as number[];
      if (r[N - 1] !== N) throw new Error('wrong result');
    },
    REPS,
    2,
  );
  record(rows, {
    kind: 'throughput',
    lib: 'bask',
    threads: pool.numWorkers,
    tasks: N,
    wall_ms: s.median * 1000,
    min_ms: s.min * 1000,
    max_ms: s.max * 1000,
    spread_pct: Math.round(s.spreadPct),
    tasks_per_s: Math.round(N / s.median),
  });
}

async function latency(pool: Pool): Promise<void> {
  for (let i = 0; i < 500; i++) await get({ a: task(inc, i) }, 'a', { scheduler: pool });
  const us: number[] = [];
  for (let i = 0; i < LAT_N; i++) {
    const t0 = process.hrtime.bigint();
    await get({ a: task(inc, i) }, 'a', { scheduler: pool });
    us.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  us.sort((a, b) => a - b);
  record(rows, {
    kind: 'latency',
    lib: 'bask',
    calls: LAT_N,
    median_us: summarize(us).median,
    p99_us: us[Math.floor(us.length * 0.99)],
  });
}

async function cpu(n: number): Promise<void> {
  const graph: Record<string, unknown> = {};
  for (let i = 0; i < 16; i++) graph[`spin-${i}`] = task(spin, n + i);
  const keys = Object.keys(graph);
  const times: number[] = [];
  for (const threads of [1, 2]) {
    const pool = new Pool({ numWorkers: threads });
    const s = await measure(() => get(graph, keys, { scheduler: pool }), REPS, 1);
    times.push(s.median);
    await pool.close();
  }
  record(rows, {
    kind: 'cpu',
    lib: 'bask',
    tasks: 16,
    one_thread_ms: (times[0] as number) * 1000,
    two_threads_ms: (times[1] as number) * 1000,
    speedup: Math.round(((times[0] as number) / (times[1] as number)) * 100) / 100,
  });
}

const pool = new Pool({ numWorkers: 2 });
await throughput(pool);
await latency(pool);
await pool.close();
await cpu(calibrate(50));

if (!process.argv.includes('--no-peers')) {
  const dir = anchors();
  // run.sh writes its rows to logs/node_pools.json in the anchors' folder.
  const out = join(dir, 'logs', 'node_pools.json');
  await run(
    'bash',
    [
      join(dir, 'js', 'run.sh'),
      'pools',
      '--reps',
      String(REPS),
      '--n',
      String(N),
      '--lat-n',
      String(LAT_N),
      '--only',
      'piscina,tinypool,workerpool,raw-pool,raw-pipelined',
    ],
    { cwd: dir },
  );
  const peers = JSON.parse(readFileSync(out, 'utf8')) as { rows: Record<string, unknown>[] };
  for (const row of peers.rows) record(rows, { peer: true, ...row });
  const mine = rows.find(
    (r) =>
      (r as { kind?: string; lib?: string }).kind === 'throughput' &&
      (r as { lib?: string }).lib === 'bask',
  ) as { tasks_per_s: number };
  const best = Math.max(
    ...peers.rows
      .filter(
        (r) =>
          r['kind'] === 'throughput' &&
          ['piscina', 'tinypool', 'workerpool'].includes(String(r['lib'])),
      )
      .map((r) => Number(r['tasks_per_s'])),
  );
  const lat = rows.find((r) => (r as { kind?: string }).kind === 'latency') as {
    median_us: number;
  };
  const raw = peers.rows.find((r) => r['kind'] === 'latency' && r['lib'] === 'raw-pipelined');
  record(rows, {
    kind: 'ratio',
    throughput_vs_best_pool: Math.round((mine.tasks_per_s / best) * 100) / 100,
    latency_vs_raw:
      raw === undefined ? null : Math.round((lat.median_us / Number(raw['median_us'])) * 100) / 100,
  });
}
save('pool', rows);
