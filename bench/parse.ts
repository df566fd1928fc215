/**
 * The seed workload's parse step alone (`parsePrices` over the bytes of each file, then the
 * spread and the day), per file: time, allocation, and garbage collection, in the main thread
 * and in 1 or 2 bare worker_threads (no scheduler), for this checkout and, with `--before`,
 * another bask checkout (built) side by side in the same run.
 *
 * - allocation per file: V8 heap growth over a batch of files, in a fresh thread whose young
 *   generation is large enough that no collection runs inside the batch (the largest of 5
 *   batches: a collection only lowers a batch's figure), and the ArrayBuffers the frame keeps (its columns);
 * - GC share per worker: the duration of `PerformanceObserver` 'gc' entries in that thread
 *   over its wall time (a pause's duration is wall time: on a loaded machine it includes
 *   waiting for a core); per-file time is the thread's wall time and its own CPU time
 *   (Linux's per-thread clock, which tells contention apart from waiting for a core) over
 *   its files.
 *
 *   npm run build && node dist/bench/parse.js [--data /tmp/stocks/GOOG] [--before /tmp/bask-main]
 *     [--reps 5]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { arg, record, save } from './lib.js';

interface Job {
  readonly bask: string;
  readonly files: string[];
  readonly reps: number;
  /** What the worker measures: the parse loop, or the allocation per file. */
  readonly mode?: 'loop' | 'alloc';
}

interface Sample {
  /** Wall time of the thread's timed part, ms. */
  wallMs: number;
  /** CPU time of this thread alone over it, ms (10 ms resolution; NaN off Linux). */
  cpuMs: number;
  /** Files parsed in it. */
  files: number;
  /** Time in garbage collection in the thread, ms. */
  gcMs: number;
  gcCount: number;
}

type Parse = (
  bytes: Uint8Array,
  options: { name: string },
) => {
  high: { max(): number };
  low: { min(): number };
  index: { at(i: number): Date };
};

async function loadParse(bask: string): Promise<Parse> {
  const url = pathToFileURL(join(bask, 'dist', 'src', 'seed', 'index.js')).href;
  return ((await import(url)) as { parsePrices: Parse }).parsePrices;
}

/** Parses every file `reps` times after one warm-up pass; the GC seen during the timed part. */
async function parseLoop(job: Job): Promise<Sample> {
  const parse = await loadParse(job.bask);
  const bytes = job.files.map((f) => readFileSync(f));
  const pass = (): void => {
    for (let i = 0; i < bytes.length; i++) {
      const df = parse(bytes[i] as Uint8Array, { name: job.files[i] as string });
      if (!(df.high.max() - df.low.min() >= 0) || Number.isNaN(df.index.at(0).getTime())) {
        throw new Error(`bad result for ${job.files[i]}`);
      }
    }
  };
  pass();
  let gcMs = 0;
  let gcCount = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMs += e.duration;
      gcCount++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const t0 = performance.now();
  const cpu0 = threadCpuMs();
  for (let r = 0; r < job.reps; r++) pass();
  const cpuMs = threadCpuMs() - cpu0;
  const wallMs = performance.now() - t0;
  // 'gc' entries arrive asynchronously: let them in before reading the sums.
  await new Promise((done) => setTimeout(done, 50));
  observer.disconnect();
  return { wallMs, cpuMs, files: bytes.length * job.reps, gcMs, gcCount };
}

/**
 * CPU time (user + system) of the calling thread, ms, from Linux's /proc/thread-self/stat
 * (a synchronous read runs on the calling thread); NaN where there is none. Node 20 has no
 * per-thread CPU clock (`process.threadCpuUsage` came in Node 23).
 */
function threadCpuMs(): number {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    // Fields after the command name (which may hold spaces) start at state, field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S;
  } catch {
    return NaN;
  }
}

/** Linux's USER_HZ, the unit of /proc's CPU times. */
const TICKS_PER_S = 100;

/**
 * Bytes allocated per file (V8 heap + ArrayBuffers) over a batch of files without any
 * collection in it; the median of 5 batches, each after a full pass (the first batches of a
 * process also count the compiler's feedback and code, which a steady run does not).
 */
async function allocationPerFile(job: Job): Promise<{ heap: number; buffers: number }> {
  const parse = await loadParse(job.bask);
  const bytes = job.files.map((f) => readFileSync(f));
  const pass = (): void => {
    for (let i = 0; i < bytes.length; i++) parse(bytes[i] as Uint8Array, { name: 'warm' });
  };
  const batch = Math.min(bytes.length, 50);
  const heaps: number[] = [];
  const buffers: number[] = [];
  for (let round = 0; round < 5; round++) {
    pass();
    const keep: unknown[] = [];
    const heap0 = getHeapStatistics().used_heap_size;
    for (let i = 0; i < batch; i++) keep.push(parse(bytes[i] as Uint8Array, { name: 'x' }));
    heaps.push((getHeapStatistics().used_heap_size - heap0) / batch);
  }
  // What a frame keeps in ArrayBuffers: its columns and index, 8 bytes a value.
  const frame = parse(bytes[0] as Uint8Array, { name: 'x' }) as unknown as {
    columns: readonly string[];
    length: number;
  };
  buffers.push((frame.columns.length + 1) * frame.length * 8);
  // A collection inside a batch (external memory can start one) only lowers its figure: the
  // largest batch is the one without.
  return { heap: Math.round(Math.max(...heaps)), buffers: Math.round(Math.max(...buffers)) };
}

function inWorker<T = Sample>(job: Job): Promise<T> {
  return new Promise((done, fail) => {
    const worker = new Worker(fileURLToPath(import.meta.url), {
      workerData: job,
      // Room for a batch without a collection (allocation figures).
      resourceLimits: { maxYoungGenerationSizeMb: 256 },
    });
    worker.once('message', (s: T) => done(s));
    worker.once('error', fail);
    worker.once('exit', (code) => fail(new Error(`worker exited ${code} before its result`)));
  });
}

async function main(): Promise<void> {
  const data = arg('data', '/tmp/stocks/GOOG');
  const reps = Number(arg('reps', '5'));
  const files = readdirSync(data)
    .filter((f) => f.endsWith('.csv'))
    .sort()
    .map((f) => join(data, f));
  const here = fileURLToPath(new URL('../../', import.meta.url));
  const before = arg('before', '');
  const checkouts: [string, string][] = [['after', here]];
  if (before !== '') checkouts.unshift(['before', resolve(before)]);
  const rows: object[] = [];
  for (const [label, bask] of checkouts) {
    const job: Job = { bask, files, reps };
    // In a fresh thread: a heap that another checkout's garbage has filled skews the figures.
    const alloc = await inWorker<{ heap: number; buffers: number }>({ ...job, mode: 'alloc' });
    record(rows, {
      kind: 'alloc',
      code: label,
      bytes_heap_per_file: alloc.heap,
      bytes_kept_in_columns_per_file: alloc.buffers,
    });
    const main = await parseLoop(job);
    record(rows, row(label, 'main thread', main));
    for (const threads of [1, 2]) {
      const samples = await Promise.all(Array.from({ length: threads }, () => inWorker(job)));
      samples.forEach((s, w) => record(rows, row(label, `${threads} worker_threads: #${w}`, s)));
    }
  }
  save('parse', rows, { data, files: files.length, reps });
}

function row(code: string, where: string, s: Sample): object {
  return {
    kind: 'parse',
    code,
    where,
    us_per_file: Math.round((s.wallMs * 1000) / s.files),
    cpu_us_per_file: Math.round((s.cpuMs * 1000) / s.files),
    gc_share_of_wall_pct: Math.round((s.gcMs / s.wallMs) * 1000) / 10,
    gc_count: s.gcCount,
  };
}

if (isMainThread) {
  await main();
} else {
  const job = workerData as Job;
  parentPort?.postMessage(await (job.mode === 'alloc' ? allocationPerFile(job) : parseLoop(job)));
}
