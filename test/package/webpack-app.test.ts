/**
 * examples/webpack-app as a user gets it: installed from the packed tarball, built by a plain
 * webpack 5 production setup (ts-loader, html-webpack-plugin, nothing bask-specific) with no
 * errors and no warnings, and run in Chromium, its task module in the app's own pool worker.
 */
import { join } from 'node:path';
import type { Browser } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../chromium.js';
import { installExample, npm, removeApps, serveStatic } from './apps.js';
import { appResult, expectAppResult } from './expect-app.js';

let app = '';
let browser: Browser;

beforeAll(async () => {
  app = installExample('webpack-app');
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  removeApps();
});

describe('examples/webpack-app', () => {
  it('builds for production without a warning and computes in Chromium', async () => {
    const output = npm(app, ['run', 'build']);
    expect(output).toContain('compiled successfully');
    expect(output).not.toMatch(/WARNING|ERROR/);
    const site = await serveStatic(join(app, 'dist'));
    try {
      expectAppResult(await appResult(browser, site.url));
    } finally {
      site.close();
    }
  });
});
