/**
 * The demo page at scale in real Chromium (issue 15): 2,000 files on the worker pool and on
 * the cluster of `bask demo`. Results stream in (the first row is on screen while the run is
 * still going), every file is computed, and the page's DOM stays bounded: the task stream of
 * ~10,000 tasks is binned by pixel column instead of one SVG bar per task. On the cluster the
 * page uploads its Files over HTTP, unread (src/wire/uploaded.ts). No timed assertions: every
 * wait is for something the page shows.
 */
import type { Browser, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateStocks } from '../../src/seed/index.js';
import { launchChromium } from '../chromium.js';
import { startDemo } from './demo-server.js';

const FILES = 2_000;
let browser: Browser;
let page: Page;
let pageErrors: string[];
let demoUrl: string;
let totalBytes = 0;

beforeAll(async () => {
  const { url } = await startDemo(2);
  demoUrl = url;
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(url);
  // Files of 30 minute bars (~2 kB): six groups of files (64 kB first, twice as much each
  // next), so the first group's rows come while five are still to go. With 3 bars a file the
  // 2,000 files were three groups; under load, a page whose frames came late painted its first
  // row only once the run had ended (seen once in CI).
  const days = generateStocks({ days: FILES, minutes: 30 });
  totalBytes = days.reduce((n, d) => n + new TextEncoder().encode(d.text).byteLength, 0);
  const transfer = await page.evaluateHandle((files) => {
    const data = new DataTransfer();
    for (const f of files) data.items.add(new File([f.text], f.name, { type: 'text/csv' }));
    return data;
  }, days);
  await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer: transfer });
  await page.waitForFunction(
    () => document.querySelector('#file-summary')?.textContent?.includes('2,000 files') === true,
  );
}, 120_000);

afterAll(async () => {
  await browser?.close();
  expect(pageErrors).toEqual([]);
});

/** Runs the chosen scheduler; true when the first result row was painted mid-run. */
async function runStreaming(scheduler: 'threads' | 'cluster'): Promise<boolean> {
  await page.check(`input[name="scheduler"][value="${scheduler}"]`);
  const firstRowMidRun = page.evaluate(
    () =>
      new Promise<boolean>((resolve) => {
        const run = document.querySelector('#run') as HTMLButtonElement;
        const check = (): void => {
          if (document.querySelector('#results tbody tr[data-state="ok"]') !== null)
            resolve(run.disabled);
          else requestAnimationFrame(check);
        };
        run.click();
        requestAnimationFrame(check);
      }),
  );
  const midRun = await firstRowMidRun;
  await page.waitForSelector(`#timings li[data-scheduler="${scheduler}"]`, { timeout: 300_000 });
  await page.waitForSelector('#run:not([disabled])');
  await page.waitForSelector('#task-stream svg');
  return midRun;
}

describe('the demo page with 2,000 files', () => {
  for (const scheduler of ['threads', 'cluster'] as const) {
    it(`streams results on ${scheduler} and keeps the DOM bounded`, async () => {
      expect(await runStreaming(scheduler)).toBe(true);
      expect(await page.textContent('#status')).toContain('2,000 spreads, 0 errors');
      const stream = await page.evaluate(() => {
        const svg = document.querySelector('#task-stream svg');
        return {
          nodes: svg?.getElementsByTagName('*').length ?? 0,
          // Up to 2,000 tasks one bar each (rect.bask-task), past that binned (rect.bask-span).
          bars: svg?.querySelectorAll('rect.bask-span, rect.bask-task').length ?? 0,
          lanes: svg?.querySelectorAll('g.bask-lane').length ?? 0,
          width: Number(svg?.getAttribute('width') ?? 0),
        };
      });
      expect(stream.bars).toBeGreaterThan(0);
      // A rect and its title per bar: at most one bar per task up to 2,000 tasks, else one per
      // pixel column per lane; plus the frame.
      const bars = Math.max(2_000, stream.lanes * stream.width);
      expect(stream.nodes).toBeLessThanOrEqual(bars * 2 + 200);
      const domNodes = await page.evaluate(() => document.getElementsByTagName('*').length);
      expect(domNodes).toBeLessThan(10_000);
      const metrics = await (await fetch(new URL('/metrics', demoUrl))).text();
      const uploaded = /^bask_events_total\{event="uploadedBytes"\} (\d+)$/m.exec(metrics)?.[1];
      // Only the cluster run uploads, every file once.
      expect(Number(uploaded ?? 0)).toBe(scheduler === 'cluster' ? totalBytes : 0);
    }, 300_000);
  }
});
