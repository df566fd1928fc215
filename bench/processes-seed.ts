/**
 * The seed workload (daily spreads over one-day CSV files, `gen_stocks.py --seed 20240101`) on
 * the sync scheduler, the pool of worker threads and the pool of worker processes (issue 16:
 * threads of one process contend on allocation; processes do not), in one run, on 250 and
 * 2,000 files, both as applications run it (`runSpreads`, the demo and `bask spreads`) and as
 * the README's `compute(g.spreads, g.days)`.
 *
 * The contenders alternate within each repetition (the starting one rotates), so that a busy
 * machine slows them alike. Besides wall times, each run's CPU time is read from /proc (this
 * process's threads and its child processes): on a machine shared with other jobs, the CPU a
 * contender spends per file says what it costs where wall times cannot (`cpu_over_sync`;
 * `speedup_cpu_bound` = sync's CPU / half the contender's, what 2 free cores would allow).
 *
 *   npm run build && node dist/bench/processes-seed.js [--sets 250,2000] [--reps 7]
 *     [--workers 2] [--modes run,compute] [--batch N] [--concurrency N]
 */
import { readFileSync, readdirSync } from 'node:fs';
import { Pool, compute } from 'bask';
import { buildSpreads, runSpreads } from 'bask/seed';
import { processRuntime } from '../src/local/runtime-process.js';
import { arg, record, save, seedStocks, summarize } from './lib.js';

const SETS = arg('sets', '250,2000').split(',').map(Number);
const REPS = Number(arg('reps', '7'));
const WORKERS = Number(arg('workers', '2'));
const MODES = arg('modes', 'run,compute').split(',');
/** runSpreads' window on the pools (default: its own defaults). */
const BATCH = arg('batch', '');
const CONCURRENCY = arg('concurrency', '');
const TICK_MS = 10; // USER_HZ is 100 on Linux

/** utime + stime of a /proc stat file, in ms (0 when it is gone). */
function statCpu(path: string): number {
  try {
    const text = readFileSync(path, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** CPU ms so far: this process (every thread), its main thread, and its child processes. */
function cpuNow(): { total: number; main: number } {
  const self = process.pid;
  let children = 0;
  for (const tid of readdirSync(`/proc/${self}/task`)) {
    let pids: string[] = [];
    try {
      pids = readFileSync(`/proc/${self}/task/${tid}/children`, 'utf8').trim().split(/\s+/);
    } catch {
      pids = [];
    }
    for (const pid of pids) if (pid !== '') children += statCpu(`/proc/${pid}/stat`);
  }
  return {
    total: statCpu(`/proc/${self}/stat`) + children,
    main: statCpu(`/proc/${self}/task/${self}/stat`),
  };
}

type Contender = 'sync' | 'threads' | 'processes';

const rows: object[] = [];
const threads = new Pool({ numWorkers: WORKERS });
const processes = new Pool({ numWorkers: WORKERS, runtime: processRuntime });
const schedulers = { sync: 'sync', threads, processes } as const;

/** One run of the workload on `who`. */
async function once(files: string[], mode: string, who: Contender): Promise<void> {
  const scheduler = schedulers[who];
  if (mode === 'run') {
    await runSpreads(files, {
      scheduler,
      ...(BATCH === '' ? {} : { batchSize: Number(BATCH) }),
      ...(CONCURRENCY === '' ? {} : { concurrency: Number(CONCURRENCY) }),
    });
    return;
  }
  const g = buildSpreads(files);
  await compute(g.spreads, g.days, { scheduler });
}

for (const days of SETS) {
  const { files } = await seedStocks(days);
  for (const mode of MODES) {
    const order: Contender[] = ['sync', 'threads', 'processes'];
    for (const who of order) for (let i = 0; i < 2; i++) await once(files, mode, who); // warm-up
    const wall: Record<Contender, number[]> = { sync: [], threads: [], processes: [] };
    const cpu: Record<Contender, number[]> = { sync: [], threads: [], processes: [] };
    const main: Record<Contender, number[]> = { sync: [], threads: [], processes: [] };
    for (let rep = 0; rep < REPS; rep++) {
      for (let k = 0; k < order.length; k++) {
        const who = order[(rep + k) % order.length] as Contender;
        const c0 = cpuNow();
        const t0 = performance.now();
        await once(files, mode, who);
        const t = performance.now() - t0;
        const c1 = cpuNow();
        wall[who].push(t);
        cpu[who].push(c1.total - c0.total);
        main[who].push(c1.main - c0.main);
      }
    }
    const syncWall = summarize(wall.sync).median;
    const syncCpu = summarize(cpu.sync).median;
    for (const who of order) {
      const w = summarize(wall[who]);
      const c = summarize(cpu[who]).median;
      record(rows, {
        kind: 'seed-pools',
        mode: mode === 'run' ? 'runSpreads' : 'compute',
        files: days,
        scheduler: who,
        workers: who === 'sync' ? 0 : WORKERS,
        wall_ms: Math.round(w.median),
        min_ms: Math.round(w.min),
        spread_pct: Math.round(w.spreadPct),
        speedup_wall: Math.round((syncWall / w.median) * 100) / 100,
        cpu_ms: Math.round(c),
        main_thread_cpu_ms: Math.round(summarize(main[who]).median),
        cpu_over_sync: Math.round((c / syncCpu) * 100) / 100,
        speedup_cpu_bound:
          who === 'sync' ? 1 : Math.round((syncCpu / (c / Math.min(WORKERS, 2))) * 100) / 100,
      });
    }
  }
}
await threads.close();
await processes.close();
save('processes-seed', rows, { workers: WORKERS, reps: REPS });
