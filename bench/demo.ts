/**
 * Issues 4 and 15 benchmark: the seed workload in the demo page, in real Chromium, at several
 * input sizes. `bask demo` serves the page with its scheduler and local workers; for each size
 * the seed files are written to a scratch folder and chosen with the page's file picker (as a
 * user picks a folder), then each scheduler runs them. Measured per size and scheduler:
 *
 * - wall time: the page's own `%time` line;
 * - time to first row: from pressing Run to the first result row painted (rAF-polled);
 * - longest main-thread task during the run (PerformanceObserver 'longtask');
 * - peak JS heap of the page during the run (performance.memory, sampled every 50 ms);
 * - DOM nodes once the run and its task stream are drawn;
 * - CPU seconds used during the run by Chromium (all its processes) and by `bask demo` (the
 *   scheduler, the worker process and its threads), and of those the main thread's (scheduler
 *   and the worker process's router; the rest is the worker threads): on a machine shared with
 *   other work, CPU time moves less than wall time, and on 2 cores wall time is at least half
 *   their sum.
 *
 * The page is driven over bare CDP (cdp.ts), not Playwright: Playwright's Network domain
 * would copy every WebSocket frame of a cluster run to the driver.
 *
 *   npm run build:all && node dist/bench/demo.js [--files 250,1000,2000,5000]
 *     [--schedulers sync,threads,cluster] [--reps 1] [--cpu-prof DIR] [--threads] [--trace DIR]
 *     [--first-run N]
 *
 * `--cpu-prof DIR` writes V8 CPU profiles of `bask demo` (its main thread: scheduler and
 * worker process; and each worker thread) into DIR, and one of the page's main thread per
 * measured run (`page-<scheduler>-<files>-<rep>.cpuprofile`), for chrome://inspect or speedscope.
 *
 * `--first-run N` measures instead each scheduler's first run in N freshly loaded pages, at
 * the first size, a second after the files were chosen (`firstRuns`).
 *
 * `--threads` prints each run's CPU per thread of Chromium and of `bask demo`; `--trace DIR`
 * writes a Chromium trace of each measured run into DIR (for Perfetto or DevTools) and prints
 * its top tasks by own time, native work included (bench/trace.ts).
 *
 * One warm-up run per scheduler (at the first size) is not recorded. Medians over `--reps`.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeStocks } from '../src/seed/node.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../test/chromium.js';
import { CdpPage, cpuByThread, cpuDelta, cpuSeconds } from './cdp.js';
import { arg, record, save } from './lib.js';
import { selfTimes, traced } from './trace.js';

const REPS = Number(arg('reps', '1'));
const SIZES = arg('files', '250,1000,2000,5000').split(',').map(Number);
const SCHEDULERS = arg('schedulers', 'sync,threads,cluster').split(',');
const CLI = fileURLToPath(new URL('../../bin/bask.js', import.meta.url));
const CPU_PROF = arg('cpu-prof', '');
/** Print each run's CPU per thread of Chromium and of `bask demo` (cdp.ts `cpuByThread`). */
const THREADS = process.argv.includes('--threads');
/** Trace each measured run in Chromium and print its threads' top tasks by own time (trace.ts). */
const TRACE = arg('trace', '');
/** Measure only each scheduler's first run in N freshly loaded pages (see `firstRuns`). */
const FIRST_RUN = Number(arg('first-run', '0'));
const rows: object[] = [];

/** What the page reports about one run. */
interface RunFigures {
  wallS: number;
  firstRowMs: number;
  longestTaskMs: number;
  peakHeapMb: number;
  domNodes: number;
  /** CPU seconds of Chromium (every process) and of `bask demo` during the run. */
  cpuBrowserS: number;
  cpuDemoS: number;
  /** Of `cpuDemoS`, the main thread's. */
  cpuDemoMainS: number;
}

/** CPU seconds of one thread (`/proc/<pid>/task/<tid>/stat`), 0 once it is gone. */
function threadCpuSeconds(pid: number, tid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / 100;
  } catch {
    return 0;
  }
}

/** Installed before the page's scripts: long tasks and heap samples, kept on `window`. */
function installProbes(): void {
  const w = window as unknown as { __longtasks: PerformanceEntry[]; __heapPeak: number };
  w.__longtasks = [];
  w.__heapPeak = 0;
  new PerformanceObserver((list) => w.__longtasks.push(...list.getEntries())).observe({
    type: 'longtask',
    buffered: true,
  });
  // `performance.memory` is a snapshot taken when read: read it at each sample.
  const perf = performance as unknown as { memory?: { usedJSHeapSize: number } };
  setInterval(() => {
    const used = perf.memory?.usedJSHeapSize;
    if (used !== undefined) w.__heapPeak = Math.max(w.__heapPeak, used);
  }, 50);
}

/** In the page: presses Run; resolves to the time to the first result row, and the start. */
function startRun(): Promise<{ firstRowMs: number; t0: number }> {
  const w = window as unknown as { __heapPeak: number; gc?: () => void };
  w.gc?.();
  w.__heapPeak = 0;
  const started = performance.now();
  const first = new Promise<number>((resolve) => {
    const check = (): void => {
      if (document.querySelector('#results tbody tr[data-state="ok"]') !== null)
        resolve(performance.now() - started);
      else requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  });
  (document.querySelector('#run') as HTMLButtonElement).click();
  return first.then((ms) => ({ firstRowMs: ms, t0: started }));
}

/** In the page, once the run is drawn: its figures (long tasks since `since`). */
function readFigures(
  since: number,
): Omit<RunFigures, 'firstRowMs' | 'cpuBrowserS' | 'cpuDemoS' | 'cpuDemoMainS'> {
  const w = window as unknown as { __longtasks: PerformanceEntry[]; __heapPeak: number };
  const line =
    document.querySelector('#timings li[data-scheduler]:last-of-type')?.textContent ?? '';
  const status = document.querySelector('#status')?.textContent ?? '';
  const m = /in ([\d.]+) (ms|s)/.exec(status) ?? /Wall time: ([\d.]+) (ms|s)/.exec(line);
  const wallS = m === null ? NaN : Number(m[1]) / (m[2] === 'ms' ? 1000 : 1);
  let longest = 0;
  for (const t of w.__longtasks) if (t.startTime >= since) longest = Math.max(longest, t.duration);
  return {
    wallS,
    longestTaskMs: Math.round(longest),
    peakHeapMb: Math.round(w.__heapPeak / 1e5) / 10,
    domNodes: document.getElementsByTagName('*').length,
  };
}

const RUN_DONE = `!document.querySelector('#run').disabled`;

async function runOnce(page: CdpPage, demoPid: number): Promise<RunFigures> {
  const browserPid = page.browser.pid ?? 0;
  const cpu0 = {
    browser: cpuSeconds(browserPid),
    demo: cpuSeconds(demoPid),
    main: threadCpuSeconds(demoPid, demoPid),
  };
  const threads0 = THREADS ? [cpuByThread(browserPid), cpuByThread(demoPid)] : undefined;
  const { firstRowMs, t0 } = await page.evaluate<{ firstRowMs: number; t0: number }>(
    `(${startRun.toString()})()`,
  );
  await page.waitFor(RUN_DONE, 600_000, 200);
  const cpu1 = {
    browser: cpuSeconds(browserPid),
    demo: cpuSeconds(demoPid),
    main: threadCpuSeconds(demoPid, demoPid),
  };
  if (threads0 !== undefined) {
    const split = [
      ...cpuDelta(threads0[0] as Map<string, number>, cpuByThread(browserPid)),
      ...cpuDelta(threads0[1] as Map<string, number>, cpuByThread(demoPid)),
    ];
    console.error(`  CPU by thread: ${split.map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`);
  }
  // The task stream is drawn just after the results: wait for it before counting nodes.
  await page.waitFor(`document.querySelector('#task-stream .placeholder') === null`, 60_000);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const figures = await page.evaluate<
    Omit<RunFigures, 'firstRowMs' | 'cpuBrowserS' | 'cpuDemoS' | 'cpuDemoMainS'>
  >(`(${readFigures.toString()})(${t0})`);
  return {
    ...figures,
    firstRowMs: Math.round(firstRowMs),
    cpuBrowserS: Math.round((cpu1.browser - cpu0.browser) * 100) / 100,
    cpuDemoS: Math.round((cpu1.demo - cpu0.demo) * 100) / 100,
    cpuDemoMainS: Math.round((cpu1.main - cpu0.main) * 100) / 100,
  };
}

/** `run()`, with a CPU profile of the page's main thread when `--cpu-prof` asks for one. */
async function profiled<T>(page: CdpPage, name: string, run: () => Promise<T>): Promise<T> {
  if (TRACE !== '') {
    const { result, events } = await traced(page, run);
    mkdirSync(TRACE, { recursive: true });
    writeFileSync(join(TRACE, `${name}.trace.json`), JSON.stringify({ traceEvents: events }));
    console.error(`  ${name}, own time per Chromium task (ms):`);
    for (const [task, ms] of selfTimes(events)) console.error(`    ${ms}  ${task}`);
    return result;
  }
  if (CPU_PROF === '') return run();
  await page.send('Profiler.enable');
  await page.send('Profiler.start');
  const result = await run();
  const { profile } = await page.send<{ profile: unknown }>('Profiler.stop');
  mkdirSync(CPU_PROF, { recursive: true });
  writeFileSync(join(CPU_PROF, `${name}.cpuprofile`), JSON.stringify(profile));
  return result;
}

/**
 * `--first-run N`: the first run of each scheduler in a freshly loaded page, N pages each: the
 * page loads, the files of the first size are chosen, a second passes (a user picking files),
 * then Run. What a user meets first (a pool started as the page loads is ready by then).
 */
async function firstRuns(page: CdpPage, demoPid: number, scratch: string): Promise<void> {
  const files = SIZES[0] as number;
  const paths = await writeStocks(scratch, { days: files, symbol: `f${files}` });
  for (const scheduler of SCHEDULERS) {
    const runs: RunFigures[] = [];
    for (let i = 0; i < FIRST_RUN; i++) {
      await page.send('Page.navigate', { url });
      // The page's script has run (it writes the summary) before the files are chosen.
      await page.waitFor(
        `document.querySelector('#file-summary')?.textContent === 'No files chosen yet.'`,
        60_000,
      );
      await page.setInputFiles('#file-input', paths);
      await page.waitFor(RUN_DONE, 60_000);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await page.evaluate(
        `document.querySelector('input[name="scheduler"][value="${scheduler}"]').click()`,
      );
      runs.push(await runOnce(page, demoPid));
    }
    record(rows, {
      kind: 'demo-first-run',
      scheduler,
      files,
      pages: FIRST_RUN,
      wall_s: median(runs.map((r) => r.wallS)),
      first_row_ms: median(runs.map((r) => r.firstRowMs)),
      first_row_ms_all: runs.map((r) => r.firstRowMs),
      wall_s_all: runs.map((r) => r.wallS),
      load_avg: Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]),
    });
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[s.length >> 1] ?? NaN;
}

const profile = CPU_PROF === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`];
const demo = spawn(
  process.execPath,
  [...profile, CLI, 'demo', '--port', '0', '--dashboard-port', '0'],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const url = await new Promise<string>((resolve) => {
  let out = '';
  demo.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /Demo at:\s+(\S+)/.exec(out);
    if (m !== null) resolve(m[1] as string);
  });
});
const scratch = mkdtempSync(join(tmpdir(), 'bask-demo-bench-'));
const page = await CdpPage.launch(CHROMIUM_PATH, [
  ...CHROMIUM_ARGS,
  '--enable-precise-memory-info',
  '--js-flags=--expose-gc',
]);
try {
  await page.send('Page.enable');
  await page.send('Page.addScriptToEvaluateOnNewDocument', {
    source: `(${installProbes.toString()})()`,
  });
  if (FIRST_RUN > 0) await firstRuns(page, demo.pid ?? 0, scratch);
  await page.send('Page.navigate', { url });
  await page.waitFor(`document.querySelector('#file-input')`, 60_000);
  const warmed = new Set<string>();
  for (const files of FIRST_RUN > 0 ? [] : SIZES) {
    const paths = await writeStocks(scratch, { days: files, symbol: `n${files}` });
    await page.setInputFiles('#file-input', paths);
    await page.waitFor(RUN_DONE, 60_000);
    for (const scheduler of SCHEDULERS) {
      await page.evaluate(
        `document.querySelector('input[name="scheduler"][value="${scheduler}"]').click()`,
      );
      if (!warmed.has(scheduler)) {
        await runOnce(page, demo.pid ?? 0);
        warmed.add(scheduler);
      }
      const runs: RunFigures[] = [];
      for (let i = 0; i < REPS; i++) {
        const name = `page-${scheduler}-${files}-${i}`;
        runs.push(await profiled(page, name, () => runOnce(page, demo.pid ?? 0)));
      }
      record(rows, {
        kind: 'demo',
        scheduler,
        files,
        wall_s: median(runs.map((r) => r.wallS)),
        first_row_ms: median(runs.map((r) => r.firstRowMs)),
        longest_task_ms: median(runs.map((r) => r.longestTaskMs)),
        peak_heap_mb: median(runs.map((r) => r.peakHeapMb)),
        dom_nodes: median(runs.map((r) => r.domNodes)),
        cpu_browser_s: median(runs.map((r) => r.cpuBrowserS)),
        cpu_demo_s: median(runs.map((r) => r.cpuDemoS)),
        cpu_demo_main_s: median(runs.map((r) => r.cpuDemoMainS)),
        load_avg: Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]),
      });
    }
  }
} finally {
  await page.close();
  if (demo.exitCode === null && demo.signalCode === null) {
    const exited = new Promise((resolve) => demo.once('exit', resolve));
    demo.kill();
    // A profile is written as the process exits; one that does not end in time is killed.
    const late = setTimeout(() => demo.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(late);
  }
  rmSync(scratch, { recursive: true, force: true });
}
save('demo', rows);
