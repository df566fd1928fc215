/**
 * Test helpers for the package as users get it: the tarball `npm pack` made (.pack/bask.tgz,
 * written by `npm test` before the tests run), the example apps of examples/ installed from it
 * into temporary folders, and a static file server for their production builds. No test runner
 * here: the package benchmark uses them too.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from test/package/, or compiled from dist/test/package/). */
const ABOVE = fileURLToPath(new URL('../../', import.meta.url));
export const ROOT = existsSync(join(ABOVE, 'package.json')) ? ABOVE : join(ABOVE, '..');

/** The packed package. */
export const TARBALL = join(ROOT, '.pack', 'bask.tgz');

/** The tarball, or an error that says how to make it. */
export function tarball(): string {
  if (!existsSync(TARBALL))
    throw new Error(
      `${TARBALL} is missing: npm test packs it first (npm pack --pack-destination .pack, renamed bask.tgz)`,
    );
  return TARBALL;
}

const made: string[] = [];

/** Removes the folders the apps were installed in. */
export function removeApps(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * Copies examples/`name` to a temporary folder and installs it as a user would, its `bask`
 * dependency pointing at the packed tarball. Returns the app's folder.
 */
export function installExample(name: string): string {
  const app = mkdtempSync(join(tmpdir(), `bask-${name}-`));
  made.push(app);
  const source = join(ROOT, 'examples', name);
  cpSync(source, app, {
    recursive: true,
    filter: (path) => !/[\\/](node_modules|dist)([\\/]|$)/.test(path.slice(source.length)),
  });
  const manifestPath = join(app, 'package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    dependencies: Record<string, string>;
  };
  manifest.dependencies['bask'] = `file:${tarball()}`;
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
  npm(app, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--no-package-lock']);
  return app;
}

/** Runs npm in `dir`; throws with npm's output when it fails. */
export function npm(dir: string, args: string[]): string {
  try {
    return execFileSync('npm', args, { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `npm ${args.join(' ')} failed in ${dir}:\n${e.stdout ?? ''}${e.stderr ?? e.message}`,
    );
  }
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

/** Serves `dir` on 127.0.0.1 (port 0), as any static host would serve a production build. */
export function serveStatic(dir: string): Promise<{ url: string; close(): void }> {
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = normalize(join(dir, path.endsWith('/') ? `${path}index.html` : path));
    if (!file.startsWith(dir.endsWith(sep) ? dir : dir + sep) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res
      .writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' })
      .end(readFileSync(file));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
        close: () => server.close(),
      }),
    ),
  );
}
