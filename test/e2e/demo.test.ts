/**
 * The demo page in real Chromium: builds demo/ with Vite, serves demo-dist/ on port 0, uploads
 * the fixture CSVs through the file input and checks what the page shows against spreads
 * computed in this file without bask: per scheduler, across schedulers ("identical"), for the
 * bad file's message, with a column mapping, and with the sample data. Screenshots go to
 * test-results/.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateStocks } from '../../src/seed/index.js';
import {
  BAD_FILE,
  CSV_DIR,
  MAPPED_FILE,
  badLine,
  expectedFixtures,
  expectedSpread,
  fixtureNames,
} from './expected-spreads.js';
import type { Started } from '../integration/cluster.js';
import { startDemo } from './demo-server.js';
import { launchChromium } from '../chromium.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const SCREENSHOTS = join(ROOT, 'test-results');
let demo: Started;
let demoUrl = '';
let browser: Browser;
let page: Page;
let pageErrors: string[];

beforeAll(async () => {
  // The real thing: `bask demo` serves the page next to a scheduler with local workers.
  ({ demo, url: demoUrl } = await startDemo(2));
  browser = await launchChromium();
  mkdirSync(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  demo?.kill();
});

beforeEach(async () => {
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(demoUrl);
});

afterEach(async () => {
  await page.close();
  expect(pageErrors).toEqual([]);
});

/** A row of the results table as the page shows it. */
interface Row {
  file: string;
  state: string;
  day: string;
  spread: string;
  value: string;
  error: string;
}

async function readTable(): Promise<Row[]> {
  return page.$$eval('#results tbody tr[data-file]', (rows) =>
    rows.map((tr) => ({
      file: tr.getAttribute('data-file') ?? '',
      state: tr.getAttribute('data-state') ?? '',
      day: tr.querySelector('td.day')?.textContent ?? '',
      spread: tr.querySelector('td.spread')?.textContent ?? '',
      value: tr.querySelector('td.spread')?.getAttribute('data-value') ?? '',
      error: tr.querySelector('td.error')?.textContent ?? '',
    })),
  );
}

async function upload(paths: string[]): Promise<void> {
  await page.setInputFiles('#file-input', paths);
  await expect.poll(() => page.textContent('#file-summary')).toContain(`${paths.length} file`);
}

/** Runs one scheduler with the Run button and waits for its wall time line. */
async function runWith(scheduler: 'sync' | 'threads'): Promise<void> {
  await page.check(`input[name="scheduler"][value="${scheduler}"]`);
  await page.click('#run');
  await page.waitForSelector(`#timings li[data-scheduler="${scheduler}"]`);
  await page.waitForSelector('#run:not([disabled])');
}

function checkFixtureRows(rows: Row[]): void {
  expect(rows.map((r) => r.file)).toEqual(fixtureNames());
  for (const expected of expectedFixtures()) {
    const row = rows.find((r) => r.file === expected.name);
    expect(row, expected.name).toMatchObject({
      state: 'ok',
      day: expected.day,
      spread: expected.spread.toFixed(4),
    });
    expect(Number(row?.value)).toBe(expected.spread);
  }
  const bad = rows.find((r) => r.file === BAD_FILE);
  expect(bad?.state).toBe('error');
  expect(bad?.error).toContain(`'${BAD_FILE}', line ${badLine()}:`);
  expect(bad?.error).toContain('"12.5x"');
}

describe('demo page', () => {
  it('computes uploaded files on Sync and on the worker pool, identically', async () => {
    await upload(fixtureNames().map((n) => join(CSV_DIR, n)));
    await expect.poll(() => page.locator('#graph svg').count()).toBe(1);

    await runWith('sync');
    checkFixtureRows(await readTable());
    expect(await page.textContent('#timings li[data-scheduler="sync"]')).toMatch(
      /Wall time: [\d.]+ (s|ms|µs)/,
    );

    await runWith('threads');
    checkFixtureRows(await readTable());
    expect(await page.textContent('#timings li[data-scheduler="threads"]')).toMatch(
      /Wall time: [\d.]+ (s|ms|µs)/,
    );
    expect(await page.getAttribute('#verdict', 'data-identical')).toBe('true');
    expect(await page.textContent('#verdict')).toContain('identical on Sync, Worker pool');

    // Under the table, the bad file's whole message and its code.
    const listed = page.locator(`#errors li[data-file="${BAD_FILE}"]`);
    expect(await listed.textContent()).toContain(`'${BAD_FILE}', line ${badLine()}: column 'high'`);
    expect(await listed.locator('.error-code').textContent()).toBe('ERR_CSV');

    // The run's diagnostics: the progress bar ended, the task stream has a lane per worker.
    expect(await page.getAttribute('.bask-progress', 'data-state')).toMatch(/done|error/);
    await expect.poll(() => page.locator('#task-stream svg .bask-lane').count()).toBeGreaterThan(0);
    expect(await page.locator('#chart canvas').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'demo-fixtures.png'), fullPage: true });
  });

  it('runs all three schedulers (the cluster of `bask demo` included) and finds identical results', async () => {
    await upload(fixtureNames().map((n) => join(CSV_DIR, n)));
    await page.click('#run-all');
    await page.waitForSelector('#timings li[data-scheduler="cluster"]');
    await page.waitForSelector('#run:not([disabled])');
    const lines = await page.$$eval('#timings li', (items) =>
      items.map((li) => li.textContent ?? ''),
    );
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^Sync\s*Wall time: [\d.]+ (s|ms|µs)$/);
    expect(lines[1]).toMatch(/^Worker pool\s*Wall time: [\d.]+ (s|ms|µs)$/);
    expect(lines[2]).toMatch(/^Cluster\s*Wall time: [\d.]+ (s|ms|µs)$/);
    expect(await page.getAttribute('#verdict', 'data-identical')).toBe('true');
    expect(await page.textContent('#verdict')).toContain('Sync, Worker pool, Cluster');
    checkFixtureRows(await readTable());
    await page.screenshot({ path: join(SCREENSHOTS, 'demo-run-all.png'), fullPage: true });
  });

  it('takes a folder from the folder picker, and files dropped on the drop zone', async () => {
    await page.setInputFiles('#folder-input', CSV_DIR);
    await expect
      .poll(() => page.textContent('#file-summary'))
      .toContain(`${fixtureNames().length} files`);
    await runWith('threads');
    const rows = await readTable();
    expect(rows.map((r) => r.file)).toEqual(fixtureNames().map((n) => `csv/${n}`));
    const expected = expectedFixtures()[0];
    const row = rows.find((r) => r.file === `csv/${expected?.name}`);
    expect(Number(row?.value)).toBe(expected?.spread);

    // A drop of two files (made in the page: Playwright cannot drag from the desktop).
    const texts = fixtureNames()
      .slice(0, 2)
      .map((name) => ({ name, text: readFileSync(join(CSV_DIR, name), 'utf8') }));
    const transfer = await page.evaluateHandle((files) => {
      const data = new DataTransfer();
      for (const f of files) data.items.add(new File([f.text], f.name, { type: 'text/csv' }));
      return data;
    }, texts);
    await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer: transfer });
    await expect.poll(() => page.textContent('#file-summary')).toContain('2 files');
    await runWith('sync');
    expect((await readTable()).map((r) => r.file)).toEqual(texts.map((t) => t.name));
  });

  it('maps columns with other names when the user says which', async () => {
    await upload([MAPPED_FILE]);
    await runWith('threads');
    const [unmapped] = await readTable();
    expect(unmapped?.state).toBe('error');
    expect(unmapped?.error).toContain("'custom-columns.csv' has no 'high' column");

    await page.click('.mapping summary');
    await page.fill('#map-high', 'bid_high');
    await page.fill('#map-low', 'BID_LOW');
    await page.fill('#map-timestamp', 'when');
    await page.press('#map-timestamp', 'Tab');
    await runWith('sync');
    const expected = expectedSpread('custom-columns.csv', readFileSync(MAPPED_FILE, 'utf8'), {
      timestamp: 'when',
      high: 'bid_high',
      low: 'bid_low',
    });
    const [mapped] = await readTable();
    expect(mapped).toMatchObject({
      state: 'ok',
      day: expected.day,
      spread: expected.spread.toFixed(4),
    });
    expect(Number(mapped?.value)).toBe(expected.spread);
  });

  it('generates the sample data off the main thread and computes its 250 days', async () => {
    await page.click('#use-sample');
    await expect.poll(() => page.textContent('#file-summary')).toContain('250 files');
    await runWith('threads');
    expect(await page.textContent('#results caption')).toContain('250 spreads, 0 errors');
    expect(await page.getAttribute('#results table', 'aria-rowcount')).toBe('251');
    // The table is windowed: far fewer rows than files are in the DOM.
    const shown = await readTable();
    expect(shown.length).toBeLessThan(100);
    const sample = generateStocks();
    for (const row of shown) {
      const file = sample.find((f) => f.name === row.file);
      expect(file, row.file).toBeDefined();
      const expected = expectedSpread(row.file, file?.text ?? '');
      expect(row).toMatchObject({ state: 'ok', day: expected.day });
      expect(Number(row.value)).toBe(expected.spread);
    }
    expect(await page.getAttribute('#chart', 'aria-label')).toContain('250 days');
    await page.screenshot({ path: join(SCREENSHOTS, 'demo-sample.png'), fullPage: true });
  });
});
