/**
 * examples/vite-app as a user gets it: installed from the packed tarball, on Vite's dev server
 * (dependencies pre-bundled) and built for production, in Chromium. Its task module (with an
 * import of its own) runs in the app's own pool worker, with no bundler configuration.
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
  app = installExample('vite-app');
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  removeApps();
});

describe('examples/vite-app', () => {
  it('computes on the Vite dev server', async () => {
    // The app's own Vite (the one it installed), as `npx vite` would run it.
    const vite = (await import(
      join(app, 'node_modules/vite/dist/node/index.js')
    )) as typeof import('vite');
    const server = await vite.createServer({
      root: app,
      logLevel: 'error',
      server: { port: 0, host: '127.0.0.1' },
    });
    await server.listen();
    try {
      expectAppResult(await appResult(browser, server.resolvedUrls?.local[0] ?? ''));
    } finally {
      await server.close();
    }
  });

  it('computes in a production build (npm run build)', async () => {
    const output = npm(app, ['run', 'build']);
    expect(output).not.toMatch(/warn/i);
    const site = await serveStatic(join(app, 'dist'));
    try {
      expectAppResult(await appResult(browser, site.url));
    } finally {
      site.close();
    }
  });
});
