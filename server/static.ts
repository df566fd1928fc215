/**
 * Static files for the scheduler's HTTP server (the demo, the dashboard and volunteer pages):
 * only files inside the folder are served (the resolved path must stay under it, whatever
 * the encoding of `..`), with a small allow-list of types; anything else is "not found".
 */
import { readFile, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

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
