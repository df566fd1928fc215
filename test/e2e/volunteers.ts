/**
 * Helpers for the volunteer tests: the `/worker` page built once (Vite), Chromium launched
 * with local-only WebRTC, volunteer pages each in a browser context of its own (as separate
 * tabs of separate people would be), and the counters they and the scheduler report.
 *
 * Network: everything is on this machine. WebRTC host candidates are this machine's own
 * addresses, shown as they are (no mDNS names, so no multicast lookups on the network).
 */
import { join } from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright';
import { build } from 'vite';
export { launchChromium } from '../chromium.js';

const ROOT = new URL('../../', import.meta.url).pathname;

/** Builds the volunteer page into volunteer-dist/ (what the scheduler serves at /worker). */
export async function buildVolunteerPage(): Promise<void> {
  await build({ configFile: join(ROOT, 'vite.volunteer.config.ts'), logLevel: 'warn' });
}

/** An open volunteer page. */
export interface VolunteerPage {
  readonly name: string;
  readonly context: BrowserContext;
  readonly page: Page;
  readonly errors: string[];
}

/**
 * Opens `/worker?name=...` in a new browser context and waits until it works. `init` runs in
 * the page before its own scripts (to simulate a network, for instance).
 */
export async function openVolunteer(
  browser: Browser,
  http: string,
  name: string,
  params: Record<string, string> = {},
  init?: () => void,
): Promise<VolunteerPage> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  if (init !== undefined) await page.addInitScript(init);
  const query = new URLSearchParams({ name, threads: '1', ...params });
  await page.goto(`${http}/worker?${query}`);
  await page.waitForSelector('#status[data-state="running"]', { timeout: 30_000 });
  return { name, context, page, errors };
}

/** A number the page shows (its `data-value`). */
export async function pageNumber(page: Page, id: string): Promise<number> {
  return Number(await page.getAttribute(`#${id}`, 'data-value'));
}

/** Bytes the page moved on a path ('webrtc', 'peer', 'relay'), in or out. */
export async function pageBytes(page: Page, path: string, way: 'in' | 'out'): Promise<number> {
  const cell = await page.$(`#paths tr[data-path="${path}"] td.${way}`);
  return cell === null ? 0 : Number(await cell.getAttribute('data-value'));
}

/** `bask_transfer_bytes_total` per path and `bask_spilled_bytes` from `/metrics`. */
export async function schedulerMetrics(
  http: string,
): Promise<{ transfer: Record<string, number>; spilled: number }> {
  const text = await (await fetch(`${http}/metrics`)).text();
  const transfer: Record<string, number> = {};
  for (const m of text.matchAll(/^bask_transfer_bytes_total\{path="(\w+)"\} (\d+)/gm))
    transfer[m[1] as string] = Number(m[2]);
  const spilled = /^bask_spilled_bytes (\d+)/m.exec(text);
  return { transfer, spilled: Number(spilled?.[1] ?? 0) };
}

/** Polls `read` until `ok` holds (heartbeats bring counters every half second). */
export async function until<T>(
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  what: string,
): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`gave up waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
