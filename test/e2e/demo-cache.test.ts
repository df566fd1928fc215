/**
 * The demo page's result cache in real Chromium: run the fixture files with "Reuse results"
 * checked, reload the page, run the same files again: the same results, and no task ran (the
 * Profiler put no task on the performance timeline). "Clear the cache" makes the next run
 * compute again.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDemo } from './demo-server.js';
import { CSV_DIR, expectedFixtures, fixtureNames } from './expected-spreads.js';
import { launchChromium } from './volunteers.js';

let browser: Browser;
let url = '';

beforeAll(async () => {
  ({ url } = await startDemo(1));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

/** Uploads the fixtures and runs them on the worker pool with the cache on. */
async function runCached(page: Page): Promise<Record<string, string>> {
  await page.check('#use-cache');
  await page.setInputFiles(
    '#file-input',
    fixtureNames().map((n) => join(CSV_DIR, n)),
  );
  await page.check('input[name="scheduler"][value="threads"]');
  await page.click('#run');
  await page.waitForSelector('#timings li[data-scheduler="threads"]');
  await page.waitForSelector('#run:not([disabled])');
  const rows = await page.$$eval('#results tbody tr[data-file]', (trs): [string, string][] =>
    trs.map((tr) => [
      tr.getAttribute('data-file') ?? '',
      tr.querySelector('td.spread')?.getAttribute('data-value') ?? '',
    ]),
  );
  return Object.fromEntries(rows);
}

/** Tasks the page's Profiler put on the performance timeline. */
function tasksRun(page: Page): Promise<number> {
  return page.evaluate((): number => {
    type Measure = PerformanceEntry & { detail?: { devtools?: { trackGroup?: string } } };
    const entries = performance.getEntriesByType('measure') as Measure[];
    return entries.filter((m) => m.detail?.devtools?.trackGroup === 'bask').length;
  });
}

it('reuses results after a reload, and computes again once cleared', async () => {
  const page = await browser.newPage();
  await page.goto(url);
  await page.click('#clear-cache');
  const first = await runCached(page);
  for (const e of expectedFixtures()) expect(Number(first[e.name])).toBe(e.spread);
  expect(await tasksRun(page)).toBeGreaterThan(0);

  await page.reload();
  expect(await runCached(page)).toEqual(first);
  // Only the bad file's read ran again: errors are not cached.
  expect(await tasksRun(page)).toBe(1);

  await page.click('#clear-cache');
  await page.reload();
  expect(await runCached(page)).toEqual(first);
  expect(await tasksRun(page)).toBeGreaterThan(0);
  await page.close();
});
