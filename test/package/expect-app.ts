/**
 * What the example apps compute, read from a Chromium page's `#out` element, and the checks all
 * three share.
 */
import type { Browser } from 'playwright';
import { expect } from 'vitest';

/** What the example apps print into `#out`. */
export interface AppResult {
  values: number[];
  sum: number;
  primeCount: number;
  runs: { worker: string; start: number; end: number }[];
  speedup: number;
  keyName: string;
}

/** Opens `url`, waits for the app's result in `#out` and returns it; page errors fail. */
export async function appResult(browser: Browser, url: string): Promise<AppResult> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(url);
    await page.waitForFunction(
      () => document.getElementById('out')?.textContent !== 'computing…',
      null,
      { timeout: 60_000 },
    );
    const text = (await page.textContent('#out')) ?? '';
    expect(errors).toEqual([]);
    expect(text).not.toMatch(/^error/);
    return JSON.parse(text) as AppResult;
  } finally {
    await page.close();
  }
}

/**
 * The examples' shared checks: the graph's values, the task module's result, the task key named
 * after the task (not a minified function), and 8 spins of 200 ms shared 4/4 by the two
 * workers, each busy until the other's last task began (no worker idle while work waited).
 */
export function expectAppResult(result: AppResult): void {
  expect(result.values).toEqual([0, 1, 4, 9, 16, 25, 36, 49]);
  expect(result.sum).toBe(25);
  expect(result.primeCount).toBe(1229);
  expect(result.keyName).toBe('spin');
  const byWorker = new Map<string, AppResult['runs']>();
  for (const run of result.runs)
    byWorker.set(run.worker, [...(byWorker.get(run.worker) ?? []), run]);
  expect([...byWorker.values()].map((runs) => runs.length)).toEqual([4, 4]);
  const [a, b] = [...byWorker.values()].map((runs) => ({
    lastStart: Math.max(...runs.map((r) => r.start)),
    lastEnd: Math.max(...runs.map((r) => r.end)),
  }));
  expect(a!.lastEnd).toBeGreaterThan(b!.lastStart);
  expect(b!.lastEnd).toBeGreaterThan(a!.lastStart);
}
