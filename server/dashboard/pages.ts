/**
 * The dashboard pages over HTTP: `/status`, `/workers` and `/graph` are the built pages
 * (`npm run build:pages`: vite.pages.config.ts -> pages-dist/), their scripts and styles are
 * under `/dashboard/`, and `/` leads to `/status` when the scheduler serves no other site.
 *
 * The pages are found next to the installed package (the folder holding bask's package.json,
 * above this module, wherever it runs from: dist/ or the sources), or in BASK_PAGES_DIR. When
 * they were not built, the page routes answer 503 with a page that says how to build them.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '../static.js';

const PAGES: Record<string, string> = {
  '/status': 'status.html',
  '/workers': 'workers.html',
  '/graph': 'graph.html',
};

let found: string | null | undefined;

/** The folder of the built pages (pages-dist/ of this package, or BASK_PAGES_DIR). */
export function pagesRoot(): string {
  const override = process.env['BASK_PAGES_DIR'];
  if (override !== undefined && override !== '') return override;
  if (found === undefined) found = packageRoot(dirname(fileURLToPath(import.meta.url)));
  return join(found ?? process.cwd(), 'pages-dist');
}

/** The nearest folder at or above `dir` with bask's package.json. */
function packageRoot(dir: string): string | null {
  for (let d = dir; ; d = dirname(d)) {
    const manifest = join(d, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'bask')
          return d;
      } catch {
        // not bask's manifest: keep looking
      }
    }
    if (dirname(d) === d) return null;
  }
}

/**
 * Answers the dashboard routes; false when the path is not one of them. `hasSite`: the
 * scheduler serves a site at `/` (the demo), so `/` is left to it.
 */
export async function servePages(
  pathname: string,
  res: ServerResponse,
  hasSite: boolean,
): Promise<boolean> {
  if (pathname === '/' && !hasSite) {
    res.writeHead(302, { location: '/status' }).end();
    return true;
  }
  const root = pagesRoot();
  const page = PAGES[pathname];
  if (page !== undefined) {
    if (await serveStatic(root, `/${page}`, res)) return true;
    notBuilt(res, root);
    return true;
  }
  if (pathname.startsWith('/dashboard/')) return serveStatic(root, pathname, res);
  return false;
}

function notBuilt(res: ServerResponse, root: string): void {
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bask dashboard: pages not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto">
<h1>The dashboard pages are not built</h1>
<p id="not-built">This scheduler found no built dashboard pages in <code>${escapeHtml(root)}</code>.
Build them with <code>npm run build:pages</code> in the bask package (<code>npm start</code> and
<code>npm test</code> do it), or point <code>BASK_PAGES_DIR</code> at a folder that has them.</p>
<p>The scheduler works without them: <a href="/health">/health</a>, <a href="/metrics">/metrics</a>
and <a href="/api/info">/api/info</a> answer.</p>
</body></html>
`;
  res
    .writeHead(503, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    })
    .end(body);
}

function escapeHtml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
