/**
 * A quarantined worker on the dashboard, in real Chromium: a `bask worker` that lies (its task
 * reads BASK_TEST_LIAR) is caught by `verify` and the /workers page marks it, with the task and
 * the reason, while the honest workers stay unmarked. Screenshot to test-results/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../src/index.node.js';
import { startScheduler, startWorker, waitForWorkers } from '../integration/cluster.js';
import { tasks } from '../integration/tasks.js';
import { tempDir } from '../temp-dir.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const SCREENSHOTS = join(ROOT, 'test-results');
let browser: Browser;

beforeAll(async () => {
  await build({ configFile: join(ROOT, 'vite.pages.config.ts'), logLevel: 'warn' });
  browser = await chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
});

describe('the dashboard under verify', () => {
  it('/workers marks the quarantined worker, with its task and reason', async () => {
    const { address, http } = await startScheduler();
    await startWorker(address, ['--nthreads', '1', '--name', 'honest']);
    await startWorker(address, ['--nthreads', '1', '--name', 'liar'], {
      BASK_TEST_LIAR: '1',
      BASK_TEST_LIAR_LOG: join(tempDir('bask-liar-'), 'lies.txt'),
    });
    await startWorker(address, ['--nthreads', '1', '--name', 'other']);
    await waitForWorkers(http, 3);
    const client = await Client.connect(address, { setAsDefault: false });
    try {
      const futures = client.map(tasks.liarInc, [1, 2, 3, 4, 5, 6], { verify: 2 });
      expect(await client.gather(futures)).toEqual([2, 3, 4, 5, 6, 7]);
      const page = await browser.newPage({ viewport: { width: 1280, height: 600 } });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(`${http}/workers`);
      const row = await page.waitForSelector('tr[data-worker="liar"][data-quarantined]');
      expect(await row.getAttribute('data-quarantined')).toMatch(/^liarInc-/);
      const badge = await row.$('.bask-quarantined');
      expect(await badge?.textContent()).toBe('quarantined');
      expect(await badge?.getAttribute('title')).toMatch(/disagreed with/);
      expect(await page.$$('tr[data-quarantined]')).toHaveLength(1);
      await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-quarantine.png') });
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await client.close();
    }
  });
});
