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
 * - DOM nodes once the run and its task stream are drawn.
 *
 *   npm run build:all && node dist/bench/demo.js [--files 250,1000,2000,5000]
 *     [--schedulers sync,threads,cluster] [--reps 1]
 *
 * One warm-up run per scheduler (at the first size) is not recorded. Medians over `--reps`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright';
import { writeStocks } from '../src/seed/node.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../test/chromium.js';
import { arg, record, save } from './lib.js';

const REPS = Number(arg('reps', '1'));
const SIZES = arg('files', '250,1000,2000,5000').split(',').map(Number);
const SCHEDULERS = arg('schedulers', 'sync,threads,cluster').split(',');
const CLI = fileURLToPath(new URL('../../bin/bask.js', import.meta.url));
const rows: object[] = [];

/** What the page reports about one run. */
interface RunFigures {
  wallS: number;
  firstRowMs: number;
  longestTaskMs: number;
  peakHeapMb: number;
  domNodes: number;
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

async function runOnce(page: Page): Promise<RunFigures> {
  const { firstRowMs, t0 } = await page.evaluate(() => {
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
  });
  await page.waitForFunction(
    () => !(document.querySelector('#run') as HTMLButtonElement).disabled,
    null,
    { timeout: 600_000, polling: 200 },
  );
  // The task stream is drawn just after the results: wait for it before counting nodes.
  await page.waitForFunction(
    () => document.querySelector('#task-stream .placeholder') === null,
    null,
    { timeout: 60_000, polling: 100 },
  );
  await page.waitForTimeout(300);
  return page
    .evaluate((since) => {
      const w = window as unknown as { __longtasks: PerformanceEntry[]; __heapPeak: number };
      const line =
        document.querySelector('#timings li[data-scheduler]:last-of-type')?.textContent ?? '';
      const status = document.querySelector('#status')?.textContent ?? '';
      const m = /in ([\d.]+) (ms|s)/.exec(status) ?? /Wall time: ([\d.]+) (ms|s)/.exec(line);
      const wallS = m === null ? NaN : Number(m[1]) / (m[2] === 'ms' ? 1000 : 1);
      let longest = 0;
      for (const t of w.__longtasks)
        if (t.startTime >= since) longest = Math.max(longest, t.duration);
      return {
        wallS,
        firstRowMs: 0,
        longestTaskMs: Math.round(longest),
        peakHeapMb: Math.round(w.__heapPeak / 1e5) / 10,
        domNodes: document.getElementsByTagName('*').length,
      };
    }, t0)
    .then((f) => ({ ...f, firstRowMs: Math.round(firstRowMs) }));
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[s.length >> 1] ?? NaN;
}

const demo = spawn(process.execPath, [CLI, 'demo', '--port', '0', '--dashboard-port', '0'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise<string>((resolve) => {
  let out = '';
  demo.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /Demo at:\s+(\S+)/.exec(out);
    if (m !== null) resolve(m[1] as string);
  });
});
const scratch = mkdtempSync(join(tmpdir(), 'bask-demo-bench-'));
const browser = await chromium.launch({
  executablePath: CHROMIUM_PATH,
  args: [...CHROMIUM_ARGS, '--enable-precise-memory-info', '--js-flags=--expose-gc'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.addInitScript(installProbes);
  await page.goto(url);
  const warmed = new Set<string>();
  for (const files of SIZES) {
    const paths = await writeStocks(scratch, { days: files, symbol: `n${files}` });
    await page.setInputFiles('#file-input', paths);
    await page.waitForFunction(
      () => !(document.querySelector('#run') as HTMLButtonElement).disabled,
      null,
      { timeout: 60_000 },
    );
    for (const scheduler of SCHEDULERS) {
      await page.check(`input[name="scheduler"][value="${scheduler}"]`);
      if (!warmed.has(scheduler)) {
        await runOnce(page);
        warmed.add(scheduler);
      }
      const runs: RunFigures[] = [];
      for (let i = 0; i < REPS; i++) runs.push(await runOnce(page));
      record(rows, {
        kind: 'demo',
        scheduler,
        files,
        wall_s: median(runs.map((r) => r.wallS)),
        first_row_ms: median(runs.map((r) => r.firstRowMs)),
        longest_task_ms: median(runs.map((r) => r.longestTaskMs)),
        peak_heap_mb: median(runs.map((r) => r.peakHeapMb)),
        dom_nodes: median(runs.map((r) => r.domNodes)),
      });
    }
  }
} finally {
  await browser.close();
  demo.kill();
  rmSync(scratch, { recursive: true, force: true });
}
save('demo', rows);
