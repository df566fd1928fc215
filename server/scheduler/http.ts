/**
 * The scheduler's HTTP routes: `/health` (plain ok), `/metrics` (Prometheus text), `/modules`
 * (task modules uploaded by clients, for workers to import), `/api/info`, the dashboard pages,
 * and, for `bask demo`, a folder of static files at `/`.
 *
 * Static files: only files inside the folder are served (the resolved path must stay under
 * it), with a small allow-list of types; anything else is 404.
 */
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { DashboardHub } from '../dashboard/hub.js';
import { servePages } from '../dashboard/pages.js';
import { isVolunteerPath, serveVolunteerPage } from '../volunteer/page.js';
import type { Cluster } from './cluster.js';
import { metricsText } from './prometheus.js';

/** What the routes need from the scheduler. */
export interface HttpContext {
  readonly cluster: Cluster;
  readonly staticRoot: string | undefined;
  /** The scheduler's ws:// address (shown by pages). */
  readonly address: string;
  /** The live dashboards (their lines on /metrics). */
  readonly dashboards?: DashboardHub;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/** Answers one request. */
export async function handleHttp(
  ctx: HttpContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  switch (url.pathname) {
    case '/health':
      return text(res, 200, 'ok\n');
    case '/metrics':
      return text(
        res,
        200,
        metricsText(ctx.cluster) + (ctx.dashboards?.metricsText() ?? ''),
        'text/plain; version=0.0.4; charset=utf-8',
      );
    case '/modules': {
      const code = ctx.cluster.modules.get(url.searchParams.get('url') ?? '');
      if (code === undefined)
        return text(res, 404, 'no such module (the client uploads it with its first submission)\n');
      return text(res, 200, code, 'text/javascript; charset=utf-8');
    }
    case '/api/info':
      return text(res, 200, JSON.stringify(ctx.cluster.info()), 'application/json');
    case '/api/config':
      return text(res, 200, JSON.stringify({ scheduler: ctx.address }), 'application/json');
  }
  if (isVolunteerPath(url.pathname)) return serveVolunteerPage(url.pathname, res);
  if (await servePages(url.pathname, res, ctx.staticRoot !== undefined)) return;
  if (ctx.staticRoot !== undefined && (await serveStatic(ctx.staticRoot, url.pathname, res)))
    return;
  text(res, 404, 'not found\n');
}

function text(
  res: ServerResponse,
  status: number,
  body: string,
  type = 'text/plain; charset=utf-8',
): void {
  res
    .writeHead(status, {
      'content-type': type,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    })
    .end(body);
}

/** Serves a file under `root`; false when there is none (never a path outside `root`). */
export async function serveStatic(
  root: string,
  pathname: string,
  res: ServerResponse,
): Promise<boolean> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return false;
  }
  if (decoded.includes('\0')) return false;
  const base = resolve(root);
  const relative = normalize(decoded === '/' ? '/index.html' : decoded).replace(/^([/\\])+/, '');
  const file = resolve(join(base, relative));
  if (file !== base && !file.startsWith(base + sep)) return false;
  const type = TYPES[extname(file).toLowerCase()];
  if (type === undefined) return false;
  try {
    const info = await stat(file);
    if (!info.isFile()) return false;
    const body = await readFile(file);
    res
      .writeHead(200, {
        'content-type': type,
        'content-length': body.length,
        'x-content-type-options': 'nosniff',
      })
      .end(body);
    return true;
  } catch {
    return false;
  }
}
