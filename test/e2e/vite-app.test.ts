/**
 * bask in a user's Vite app with no bundler configuration: the published package (dist/, as
 * npm installs it) imported by a plain page, served by Vite's dev server (dependency
 * pre-bundling included) and built for production, computing on the Web Worker pool in Chromium.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser } from 'playwright';
import { build, createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../chromium.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/vite-app/', import.meta.url));
const EXPECTED = { values: [0, 1, 4, 9, 16, 25, 36, 49], sum: 25, workers: 2 };

let app = '';
let browser: Browser;

beforeAll(async () => {
  app = mkdtempSync(join(tmpdir(), 'bask-vite-app-'));
  cpSync(FIXTURE, app, { recursive: true });
  // As `npm install bask` would leave it: the published files of the package in node_modules/bask
  // and its runtime dependencies beside it, all real folders inside the app.
  const modules = join(app, 'node_modules');
  mkdirSync(join(modules, 'bask'), { recursive: true });
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
  for (const entry of ['package.json', ...pkg.files])
    cpSync(join(ROOT, entry), join(modules, 'bask', entry), { recursive: true });
  const deps = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((line) => line.startsWith(join(ROOT, 'node_modules')));
  for (const dir of deps)
    cpSync(dir, join(modules, relative(join(ROOT, 'node_modules'), dir)), {
      recursive: true,
      dereference: true,
    });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  rmSync(app, { recursive: true, force: true });
});

async function pageResult(url: string): Promise<unknown> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForFunction(
    () => document.getElementById('out')?.textContent !== 'computing…',
    null,
    { timeout: 60_000 },
  );
  const text = (await page.textContent('#out')) ?? '';
  await page.close();
  expect(errors).toEqual([]);
  expect(text).not.toMatch(/^error/);
  return JSON.parse(text);
}

describe('bask in a Vite app without configuration', () => {
  it('works on the Vite dev server (dependencies pre-bundled)', async () => {
    const server: ViteDevServer = await createServer({
      root: app,
      configFile: false,
      logLevel: 'error',
      server: { port: 0, host: '127.0.0.1' },
    });
    await server.listen();
    try {
      const url = server.resolvedUrls?.local[0] ?? '';
      expect(await pageResult(url)).toEqual(EXPECTED);
    } finally {
      await server.close();
    }
  });

  it('works in a production build', async () => {
    await build({ root: app, configFile: false, logLevel: 'error' });
    const server = await serve(join(app, 'dist'));
    try {
      expect(
        await pageResult(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`),
      ).toEqual(EXPECTED);
    } finally {
      server.close();
    }
  });
});

function serve(dir: string): Promise<Server> {
  const types: Record<string, string> = {
    '.html': 'text/html',
    '.js': 'text/javascript',
    '.css': 'text/css',
  };
  const server = createHttpServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    try {
      const body = readFileSync(
        join(dir, path === '/' ? 'index.html' : path.replace(/^\/+/, '').replace(/\.\.+/g, '')),
      );
      res.writeHead(200, { 'content-type': types[extname(path)] ?? 'text/html' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
