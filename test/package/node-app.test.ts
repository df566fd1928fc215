/**
 * examples/node-app as a user gets it: installed from the packed tarball, built with tsc, run
 * with node on a pool of 2 worker threads; then the CLI from the app's node_modules/.bin (a
 * scheduler, a worker process, the demo) serves every page from the installed package alone,
 * and the app computes on that cluster (its task module uploaded, bundled by esbuild).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Browser } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../chromium.js';
import { bask, startScheduler, startWorker, waitFor } from '../integration/cluster.js';
import { installExample, npm, removeApps } from './apps.js';
import { expectAppResult, type AppResult } from './expect-app.js';

let app = '';
let cli = '';
let browser: Browser;

beforeAll(async () => {
  app = installExample('node-app');
  npm(app, ['run', 'build']);
  cli = join(app, 'node_modules', '.bin', 'bask');
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  removeApps();
});

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: app, encoding: 'utf8', timeout: 120_000 });
}

/** Loads a page in Chromium; fails on a page error or a failed request of its own origin. */
async function loadPage(url: string, selector: string): Promise<void> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('response', (r) => {
    if (r.url().startsWith(new URL(url).origin) && r.status() >= 400)
      errors.push(`${r.status()} ${r.url()}`);
  });
  try {
    const response = await page.goto(url, { waitUntil: 'networkidle' });
    expect(response?.status()).toBe(200);
    await page.waitForSelector(selector, { timeout: 30_000 });
    expect(errors).toEqual([]);
  } finally {
    await page.close();
  }
}

describe('examples/node-app', () => {
  it('computes on a pool of 2 worker threads (npm run build, node dist/main.js)', () => {
    const result = JSON.parse(node(['dist/main.js'])) as AppResult;
    expectAppResult(result);
  });

  it('runs bask scheduler and bask worker from node_modules/.bin and computes there', async () => {
    const { address, http } = await startScheduler([], {}, cli);
    await startWorker(address, ['--nthreads', '2'], {}, cli);
    for (const [path, selector] of [
      ['/status', '#dashboard *'],
      ['/workers', '#dashboard *'],
      ['/graph', '#dashboard *'],
      ['/worker', 'main'],
    ] as const) {
      await loadPage(`${http}${path}`, selector);
    }
    const result = JSON.parse(node(['dist/cluster.js', address])) as Record<string, number>;
    expect(result).toEqual({ inc: 2, total: 12, primeCount: 1229 });
  });

  it('serves the demo page with bask demo', async () => {
    const demo = bask(['demo', '--port', '0', '--dashboard-port', '0', '--nthreads', '1'], {}, cli);
    const [, url] = await waitFor(demo, /Demo at:\s+(http:\/\/\S+)/, 'bask demo');
    await loadPage(url as string, 'main');
    const html = await (await fetch(url as string)).text();
    expect(html).toContain('<script type="module"');
  });
});
