/**
 * The demo page's user-facing details in real Chromium (issue 15): a header-only file named
 * in a sentence on every scheduler, the results as CSV and JSON downloads, an honest chart
 * (axis titles, a break at a missing day, values only on hover, 2,000 days in pixel columns,
 * zoom and reset), the cluster's dashboard and volunteer links, the focus after each action
 * and its ring, file names at 400 px, and axe-core's check (no serious or critical violation)
 * before and after a run. No timed assertions: every wait is for something the page shows.
 */
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import Papa from 'papaparse';
import type { Browser, BrowserContext, Page } from 'playwright';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateStocks } from '../../src/seed/index.js';
import { launchChromium } from '../chromium.js';
import { startDemo } from './demo-server.js';
import { BAD_FILE, CSV_DIR, expectedFixtures, fixtureNames } from './expected-spreads.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const HEADER_ONLY = new URL('./fixtures/bad/header_only.csv', import.meta.url).pathname;
/** A good day a week after the fixtures' last one: the chart must not join them. */
const LATE_DAY = {
  name: '2023-03-14.csv',
  mimeType: 'text/csv',
  buffer: Buffer.from(
    'timestamp,open,high,low,close,volume\n' +
      '2023-03-14 09:30:00,101.0000,101.5000,100.7000,101.2000,9000\n' +
      '2023-03-14 09:31:00,101.2000,101.9000,101.1000,101.8000,9100\n',
  ),
};
let url = '';
let browser: Browser;
let context: BrowserContext;
let page: Page;
let pageErrors: string[];

beforeAll(async () => {
  ({ url } = await startDemo(2));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

beforeEach(async () => {
  context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  page = await context.newPage();
  pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(url);
});

afterEach(async () => {
  await context.close();
  expect(pageErrors).toEqual([]);
});

const fixturePaths = (): string[] => fixtureNames().map((n) => join(CSV_DIR, n));

interface FilePayload {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

/** Chooses files (paths, or made here) with the file picker. */
async function upload(files: (string | FilePayload)[]): Promise<void> {
  const payloads = await Promise.all(
    files.map(async (f) =>
      typeof f === 'string'
        ? { name: basename(f), mimeType: 'text/csv', buffer: await readFile(f) }
        : f,
    ),
  );
  await page.setInputFiles('#file-input', payloads);
  await expect.poll(() => page.textContent('#file-summary')).toContain(`${files.length} file`);
}

/** Clicks a run button and waits for the run to end (the Run button is enabled again). */
async function run(button: '#run' | '#run-all', last = 'threads'): Promise<void> {
  await page.click(button);
  await page.waitForSelector(`#timings li[data-scheduler="${last}"]`);
  await page.waitForSelector('#run:not([disabled])');
}

async function downloadText(button: string): Promise<{ name: string; text: string }> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
  return {
    name: download.suggestedFilename(),
    text: await readFile(await download.path(), 'utf8'),
  };
}

async function seriousViolations(): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** WCAG's contrast ratio of two `rgb(...)` colours. */
function contrast(a: string, b: string): number {
  const luminance = (color: string): number => {
    const [r = 0, g = 0, bl = 0] = (color.match(/[\d.]+/g) ?? []).map(Number).map((c) => {
      const s = c / 255;
      return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

describe('demo page, user-facing details', () => {
  it('names a header-only file on every scheduler, and downloads the results as CSV and JSON', async () => {
    expect(await page.isDisabled('#download-csv')).toBe(true);
    expect(await page.isDisabled('#download-json')).toBe(true);
    await upload([...fixturePaths(), HEADER_ONLY]);
    await run('#run-all', 'cluster');
    // The same sentence on Sync, the pool and the cluster: the verdict compares messages.
    expect(await page.getAttribute('#verdict', 'data-identical')).toBe('true');
    const item = page.locator('#errors li[data-file="header_only.csv"]');
    expect(await item.locator('.error-message').textContent()).toMatch(
      /^'header_only\.csv' has a header \(timestamp, open, high, low, close, volume\) but no data rows/,
    );
    expect(await item.locator('.error-code').textContent()).toBe('ERR_CSV');
    expect(await page.textContent('#results tr[data-file="header_only.csv"] td.error')).toContain(
      "'header_only.csv' has a header",
    );

    expect(await page.isEnabled('#download-csv')).toBe(true);
    const csv = await downloadText('#download-csv');
    expect(csv.name).toBe('spreads.csv');
    const parsed = Papa.parse<Record<string, string>>(csv.text.trim(), { header: true });
    expect(parsed.meta.fields).toEqual(['file', 'day', 'spread', 'error', 'code']);
    expect(parsed.data.map((r) => r['file'])).toEqual(
      [...fixtureNames(), 'header_only.csv'].sort(),
    );
    for (const e of expectedFixtures()) {
      const row = parsed.data.find((r) => r['file'] === e.name);
      expect(row).toMatchObject({ day: e.day, error: '', code: '' });
      expect(Number(row?.['spread'])).toBe(e.spread);
    }
    expect(parsed.data.find((r) => r['file'] === BAD_FILE)).toMatchObject({ code: 'ERR_CSV' });

    const json = await downloadText('#download-json');
    expect(json.name).toBe('spreads.json');
    const rows = JSON.parse(json.text) as Record<string, unknown>[];
    for (const e of expectedFixtures()) {
      expect(rows).toContainEqual({ file: e.name, day: e.day, spread: e.spread });
    }
    expect(rows.find((r) => r['file'] === 'header_only.csv')).toMatchObject({
      code: 'ERR_CSV',
      error: expect.stringContaining('but no data rows') as unknown,
    });

    // A new input: nothing to download until it has run.
    await upload([LATE_DAY]);
    expect(await page.isDisabled('#download-csv')).toBe(true);
  });

  it('draws an honest chart: axis titles, a break at a missing day, values only on hover', async () => {
    await upload([...fixturePaths(), LATE_DAY]);
    await run('#run');
    const chart = page.locator('#chart');
    const label = (await chart.getAttribute('aria-label')) ?? '';
    expect(label).toContain('Spread (price units) by day (UTC date): 7 days');
    // 1–8 March are consecutive trading days (the weekend does not break them); 9 March failed,
    // so 14 March is a segment of its own.
    expect(await chart.getAttribute('data-mode')).toBe('days');
    expect(await chart.getAttribute('data-drawn')).toBe('7');
    expect(await chart.getAttribute('data-segments')).toBe('2');
    // No legend of dashes; the tooltip is hidden until the pointer is on the plot.
    expect(await page.locator('#chart .u-legend').count()).toBe(0);
    expect(await page.textContent('#chart')).not.toMatch(/--|—/);
    const tooltip = page.locator('#chart .chart-tooltip');
    expect(await tooltip.isVisible()).toBe(false);
    const over = page.locator('#chart .u-over');
    await over.hover({ position: { x: 1, y: 20 } });
    await expect.poll(() => tooltip.isVisible()).toBe(true);
    const first = expectedFixtures().find((e) => e.name === '2023-03-01.csv');
    expect(await tooltip.textContent()).toBe(
      `2023-03-01` + `2023-03-01.csv` + `Spread ${first?.spread.toFixed(4)}`,
    );
    await page.mouse.move(0, 0);
    await expect.poll(() => tooltip.isVisible()).toBe(false);
  });

  it('draws 2,000 days as pixel columns of lowest to highest spread, zooms by drag, resets', async () => {
    const days = generateStocks({ days: 2000, minutes: 3 });
    const transfer = await page.evaluateHandle((files) => {
      const data = new DataTransfer();
      for (const f of files) data.items.add(new File([f.text], f.name, { type: 'text/csv' }));
      return data;
    }, days);
    await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer: transfer });
    await expect.poll(() => page.textContent('#file-summary')).toContain('2,000 files');
    await run('#run');
    const chart = page.locator('#chart');
    expect(await chart.getAttribute('aria-label')).toContain('2,000 days');
    expect(await chart.getAttribute('data-mode')).toBe('buckets');
    const columns = Number(await chart.getAttribute('data-drawn'));
    const plotWidth = (await page.locator('#chart .u-over').boundingBox())?.width ?? 0;
    expect(columns).toBeGreaterThan(100);
    expect(columns).toBeLessThanOrEqual(plotWidth);
    expect(await page.textContent('#chart-caption')).toContain('2,000 days in');

    expect(await page.isVisible('#chart-reset')).toBe(false);
    const over = page.locator('#chart .u-over');
    await over.scrollIntoViewIfNeeded();
    const box = await over.boundingBox();
    if (box === null) throw new Error('no plot');
    await page.mouse.move(box.x + box.width * 0.4, box.y + 30);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.45, box.y + 60, { steps: 4 });
    await page.mouse.up();
    await expect.poll(() => chart.getAttribute('data-zoomed')).toBe('true');
    // About 5% of 2,000 days: few enough for a point per day.
    expect(await chart.getAttribute('data-mode')).toBe('days');
    expect(Number(await chart.getAttribute('data-drawn'))).toBeLessThan(200);
    expect(await page.isVisible('#chart-reset')).toBe(true);

    await page.focus('#chart-reset');
    await page.keyboard.press('Enter');
    await expect.poll(() => chart.getAttribute('data-zoomed')).toBe('false');
    expect(await chart.getAttribute('data-mode')).toBe('buckets');
    expect(await page.isVisible('#chart-reset')).toBe(false);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('chart');
  });

  it("links to the cluster's live dashboard and volunteer page, in a new tab", async () => {
    const origin = new URL(url).origin;
    const dashboard = page.locator('#dashboard-link');
    const volunteer = page.locator('#volunteer-link');
    // Served by `bask demo`: the page's origin is the scheduler's HTTP origin.
    await expect.poll(() => dashboard.getAttribute('href')).toBe(`${origin}/status`);
    expect(await volunteer.getAttribute('href')).toBe(`${origin}/worker`);
    for (const link of [dashboard, volunteer]) {
      expect(await link.getAttribute('target')).toBe('_blank');
      expect(await link.getAttribute('rel')).toContain('noopener');
    }
    const [tab] = await Promise.all([context.waitForEvent('page'), dashboard.click()]);
    await tab.waitForLoadState();
    expect(tab.url()).toBe(`${origin}/status`);
    expect(await tab.evaluate(() => window.opener === null)).toBe(true);
    await tab.close();

    // Another scheduler: its pages are on the same host, on the dashboard port.
    await page.fill('#cluster-address', 'wss://cluster.example:9000');
    expect(await dashboard.getAttribute('href')).toBe('https://cluster.example:8787/status');
    expect(await volunteer.getAttribute('href')).toBe('https://cluster.example:8787/worker');
    await page.fill('#cluster-address', 'not an address');
    expect(await dashboard.getAttribute('href')).toBeNull();
  });

  it('keeps the focus on a control after each action, with a visible focus ring', async () => {
    await page.click('#use-sample');
    await expect.poll(() => page.textContent('#file-summary')).toContain('250 files');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('run');

    // From the keyboard: Enter on Run; the focus moves to Stop and comes back to Run.
    await page.keyboard.press('Enter');
    await page.waitForSelector('#timings li[data-scheduler="threads"]');
    await page.waitForSelector('#run:not([disabled])');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('run');

    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('run-all');
    const ring = await page.evaluate(() => {
      const active = document.activeElement as HTMLElement;
      const style = getComputedStyle(active);
      const card = getComputedStyle(active.closest('.card') as HTMLElement);
      return {
        visible: active.matches(':focus-visible'),
        style: style.outlineStyle,
        width: parseFloat(style.outlineWidth),
        offset: parseFloat(style.outlineOffset),
        color: style.outlineColor,
        background: card.backgroundColor,
      };
    });
    expect(ring).toMatchObject({ visible: true, style: 'solid' });
    expect(ring.width).toBeGreaterThanOrEqual(2);
    expect(ring.offset).toBeGreaterThanOrEqual(1);
    expect(contrast(ring.color, ring.background)).toBeGreaterThanOrEqual(3);

    await page.keyboard.press('Enter');
    await page.waitForSelector('#timings li[data-scheduler="cluster"]');
    await page.waitForSelector('#run:not([disabled])');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('run-all');
  });

  it('shows whole file names in the table at 400 px wide', async () => {
    await page.setViewportSize({ width: 400, height: 900 });
    await upload([...fixturePaths(), HEADER_ONLY]);
    await run('#run');
    const names = await page.$$eval('#results tbody th.file .file-name', (spans) =>
      spans.map((s) => ({
        text: s.textContent ?? '',
        clipped: s.scrollWidth > s.clientWidth + 1 || s.scrollHeight > s.clientHeight + 1,
        width: s.clientWidth,
      })),
    );
    expect(names.map((n) => n.text)).toEqual([...fixtureNames(), 'header_only.csv'].sort());
    for (const name of names) {
      expect(name, name.text).toMatchObject({ clipped: false });
      expect(name.width).toBeGreaterThan(80);
    }
    await page.screenshot({ path: join(ROOT, 'test-results', 'demo-400.png'), fullPage: true });
  });

  it('has no serious or critical axe-core violations before and after a run', async () => {
    expect(await seriousViolations()).toEqual([]);
    await upload([...fixturePaths(), HEADER_ONLY, LATE_DAY]);
    await run('#run');
    await expect.poll(() => page.locator('#task-stream svg').count()).toBe(1);
    expect(await seriousViolations()).toEqual([]);
  });
});
