/**
 * The volunteer page at `/worker` on the scheduler's HTTP port: the files Vite built into
 * volunteer-dist/ (`npm run build:volunteer`), served with serveStatic's rules (nothing outside
 * the folder, a small allow-list of types). `/worker` and `/worker/` are its index.html, which
 * loads its scripts from `/worker/assets/`.
 *
 * The folder is found from this module's place, in the source tree (server/volunteer/) or
 * built (dist/server/volunteer/); BASK_VOLUNTEER_DIR overrides it.
 */
import { existsSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '../static.js';

const CANDIDATES = ['../../volunteer-dist/', '../../../volunteer-dist/'];

let root: string | undefined;

function volunteerRoot(): string | undefined {
  const configured = process.env['BASK_VOLUNTEER_DIR'];
  if (configured !== undefined) return configured;
  root ??= CANDIDATES.map((c) => fileURLToPath(new URL(c, import.meta.url))).find((dir) =>
    existsSync(`${dir}index.html`),
  );
  return root;
}

/** True for the paths this page owns. */
export function isVolunteerPath(pathname: string): boolean {
  return pathname === '/worker' || pathname.startsWith('/worker/');
}

/** Serves `/worker` and its assets; 404 (with what to do) when the page is not built. */
export async function serveVolunteerPage(pathname: string, res: ServerResponse): Promise<void> {
  const dir = volunteerRoot();
  const inner = pathname === '/worker' ? '/' : pathname.slice('/worker'.length);
  if (dir !== undefined && (await serveStatic(dir, inner, res))) return;
  res
    .writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
    .end(
      dir === undefined
        ? 'The volunteer page is not built: run `npm run build:volunteer`\n'
        : 'not found\n',
    );
}
