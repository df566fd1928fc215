/**
 * Issue 4 benchmark: the seed workload in the demo page, in real Chromium. `bask demo` serves
 * the page with its scheduler and local workers; the page loads the 250 sample files, then
 * runs each scheduler. Measured per scheduler: the wall time the page reports (its `%time`
 * line) and the time from pressing Run to the first result row on screen (goal: under 1 s).
 *
 *   npm run build && npm run build:demo && node dist/bench/demo.js [--reps 3]
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { arg, record, save } from './lib.js';
import { launchChromium } from '../test/chromium.js';

const REPS = Number(arg('reps', '3'));
const CLI = fileURLToPath(new URL('../../bin/bask.js', import.meta.url));
const rows: object[] = [];

const demo = spawn(
  process.execPath,
  [CLI, 'demo', '--port', '0', '--dashboard-port', '0', '--nthreads', '2'],
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
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(url);
  await page.click('#use-sample');
  await page.waitForFunction(
    () => !(document.querySelector('#run') as HTMLButtonElement).disabled,
    null,
    { timeout: 60_000 },
  );
  for (const scheduler of ['sync', 'threads', 'cluster']) {
    await page.check(`input[name="scheduler"][value="${scheduler}"]`);
    const walls: number[] = [];
    const firsts: number[] = [];
    for (let i = 0; i < REPS + 1; i++) {
      const clicked = await page.evaluate(() => {
        const t0 = performance.now();
        const first = new Promise<number>((resolve) => {
          const check = (): void => {
            if (document.querySelector('#results tbody tr[data-state="ok"]') !== null)
              resolve(performance.now() - t0);
            else requestAnimationFrame(check);
          };
          requestAnimationFrame(check);
        });
        (document.querySelector('#run') as HTMLButtonElement).click();
        return first;
      });
      await page.waitForFunction(
        () => !(document.querySelector('#run') as HTMLButtonElement).disabled,
        null,
        { timeout: 120_000 },
      );
      const line = (await page.textContent(`#timings li[data-scheduler="${scheduler}"]`)) ?? '';
      const m = /Wall time: ([\d.]+) (ms|s)/.exec(line);
      if (i === 0) continue; // warm-up run
      firsts.push(clicked);
      if (m !== null) walls.push(Number(m[1]) / (m[2] === 'ms' ? 1000 : 1));
    }
    walls.sort((a, b) => a - b);
    firsts.sort((a, b) => a - b);
    record(rows, {
      kind: 'demo',
      scheduler,
      files: 250,
      wall_s: walls[walls.length >> 1],
      first_result_ms: Math.round(firsts[firsts.length >> 1] ?? NaN),
    });
  }
} finally {
  await browser.close();
  demo.kill();
}
save('demo', rows);
