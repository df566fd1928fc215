/**
 * The scheduler's HTTP routes: `/health` (plain ok), `/metrics` (Prometheus text), task modules
 * uploaded by clients (for admitted workers only, under a secret path), `/api/info`, the dashboard pages,
 * and, for `bask demo`, a folder of static files at `/`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DashboardHub } from '../dashboard/hub.js';
import { servePages } from '../dashboard/pages.js';
import { isVolunteerPath, serveVolunteerPage } from '../volunteer/page.js';
import type { Cluster } from './cluster.js';
import { metricsText } from './prometheus.js';
import { serveStatic } from '../static.js';

/** What the routes need from the scheduler. */
export interface HttpContext {
  readonly cluster: Cluster;
  readonly staticRoot: string | undefined;
  /** The scheduler's ws:// address (shown by pages). */
  readonly address: string;
  /** The live dashboards (their lines on /metrics). */
  readonly dashboards?: DashboardHub;
  /** Where workers fetch task modules (an unguessable path given only to admitted workers). */
  readonly modulePath?: string;
}

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
  if (ctx.modulePath !== undefined && url.pathname === ctx.modulePath) {
    const code = ctx.cluster.modules.get(url.searchParams.get('url') ?? '');
    if (code === undefined)
      return text(res, 404, 'no such module (the client uploads it with its first submission)\n');
    return text(res, 200, code, 'text/javascript; charset=utf-8');
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
