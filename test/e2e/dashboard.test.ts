/**
 * The scheduler's dashboard pages in real Chromium against a real `bask scheduler` and two
 * `bask worker` processes (alice: 2 threads, bob: 1): /status, /workers and /graph show what a
 * known computation did (task counts per group, one bar per task, workers and their threads,
 * the graph held), /metrics is valid Prometheus text, and a scheduler without built pages says
 * so. Screenshots go to test-results/.
 *
 * The computation's tasks are independent except for a chain pinned to one thread (bob/0), so
 * that the counts shown are exact whatever the placement.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright';
import { WebSocket } from 'ws';
import { build } from 'vite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../temp-dir.js';
import { HIGH_WATER_BYTES } from '../../server/dashboard/hub.js';
import { Client, type Future } from '../../src/index.node.js';
import { encodeFrame } from '../../src/wire/frame.js';
import { PROTOCOL_VERSION } from '../../src/wire/protocol.js';
import { tasks } from '../conformance/tasks.js';
import { startScheduler, startWorker, waitForWorkers } from '../integration/cluster.js';
import { parsePrometheusText } from './prometheus.js';
import { launchChromium } from '../chromium.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const SCREENSHOTS = join(ROOT, 'test-results');
/** Pages update within a second or so; a loaded machine gets more time (no timing asserted). */
const POLL = { timeout: 30_000 };
let address = '';
let http = '';
let browser: Browser;
let client: Client;
let status: Page;
const pageErrors: string[] = [];
/** Futures of the run, held so the scheduler keeps the graph for /graph. */
let held: Future[] = [];
let keys: string[] = [];

async function open(path: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on('pageerror', (error) => pageErrors.push(`${path}: ${error.message}`));
  await page.goto(`${http}${path}`);
  await page.waitForSelector('.bask-conn[data-state="open"]');
  return page;
}

/** The numbers of a group's progress row, as data attributes. */
function groupRow(page: Page, group: string): Promise<Record<string, number> | null> {
  return page
    .$eval(`tr[data-group="${group}"]`, (tr) => {
      const out: Record<string, number> = {};
      for (const name of ['total', 'done', 'memory', 'processing', 'waiting', 'erred'])
        out[name] = Number(tr.getAttribute(`data-${name}`));
      return out;
    })
    .catch(() => null);
}

beforeAll(async () => {
  await build({ configFile: join(ROOT, 'vite.pages.config.ts'), logLevel: 'warn' });
  ({ address, http } = await startScheduler());
  await Promise.all([
    startWorker(address, ['--nthreads', '2', '--name', 'alice']),
    startWorker(address, ['--nthreads', '1', '--name', 'bob']),
  ]);
  await waitForWorkers(http, 3);
  browser = await launchChromium();
  mkdirSync(SCREENSHOTS, { recursive: true });
  // /status is open before anything runs: the scheduler follows the cluster while it is.
  status = await open('/status');
  client = await Client.connect(address);
  expect(client.address).toBe(address);
  const incs = client.map(tasks.inc, [0, 1, 2, 3, 4]);
  const pinned = client.map(tasks.inc, [100, 101, 102], { workers: ['bob/0'] });
  const adds = [0, 1, 2, 3].map((i) => client.submit(tasks.add, i, 100));
  const total = client.submit(tasks.sum, pinned, { workers: ['bob/0'] });
  const failing = client.submit(tasks.fail, 'on purpose');
  expect(await client.gather(incs)).toEqual([1, 2, 3, 4, 5]);
  expect(await client.gather(adds)).toEqual([100, 101, 102, 103]);
  expect(await total.result()).toBe(101 + 102 + 103);
  await expect(failing.result()).rejects.toThrow('on purpose');
  held = [...incs, ...pinned, ...adds, total, failing];
  keys = held.map((f) => f.key);
});

afterAll(async () => {
  await browser?.close();
  await client?.close();
});

afterEach(() => {
  expect(pageErrors).toEqual([]);
});

describe('dashboard pages', () => {
  it('/status shows the run: one bar per task, progress per group, workers, totals', async () => {
    await expect
      .poll(() => groupRow(status, 'inc'), POLL)
      .toMatchObject({ total: 8, done: 8, memory: 8 });
    expect(await groupRow(status, 'add')).toMatchObject({ total: 4, done: 4, memory: 4 });
    expect(await groupRow(status, 'sum')).toMatchObject({ total: 1, done: 1, erred: 0 });
    expect(await groupRow(status, 'fail')).toMatchObject({ total: 1, done: 0, erred: 1 });
    await expect
      .poll(
        () => status.$$eval('rect.bask-task', (bars) => bars.map((b) => b.dataset['key'])),
        POLL,
      )
      .toHaveLength(keys.length);
    const bars = await status.$$eval('rect.bask-task', (rects) =>
      rects.map((r) => ({ key: r.dataset['key'] ?? '', error: r.dataset['error'] === 'true' })),
    );
    expect(bars.map((b) => b.key).sort()).toEqual([...keys].sort());
    expect(bars.filter((b) => b.error).map((b) => b.key)).toEqual([held.at(-1)?.key]);
    const lanes = await status.$$eval('g.bask-lane[data-lane="thread"]', (gs) =>
      gs.map((g) => g.getAttribute('data-worker')),
    );
    expect(lanes).toEqual(['alice/0', 'alice/1', 'bob/0']);
    const total = (name: string): Promise<number> =>
      status.$eval(`[data-total="${name}"]`, (el) => Number(el.getAttribute('data-value')));
    await expect.poll(() => total('tasksDone'), POLL).toBe(13);
    expect(await total('tasksErred')).toBe(1);
    expect(await total('processes')).toBe(2);
    expect(await total('threads')).toBe(3);
    const workers = await status.$$eval('.bask-worker-summary tr[data-worker]', (rows) =>
      rows.map((r) => r.getAttribute('data-worker')),
    );
    expect(workers.sort()).toEqual(['alice', 'bob']);
    await status.screenshot({ path: join(SCREENSHOTS, 'dashboard-status.png'), fullPage: true });
  });

  it('/workers lists each worker with its kind, threads and the tasks it ran', async () => {
    const page = await open('/workers');
    await page.waitForSelector('tr[data-worker="bob"]');
    const rows = await page.$$eval('tr[data-worker]', (trs) =>
      trs.map((tr) => ({
        name: tr.getAttribute('data-worker'),
        kind: tr.getAttribute('data-kind'),
        threads: Number(tr.getAttribute('data-threads')),
        done: Number(tr.getAttribute('data-done')),
        heartbeat: tr.querySelector('td.heartbeat')?.textContent ?? '',
      })),
    );
    expect(rows.map(({ name, kind, threads }) => ({ name, kind, threads }))).toEqual([
      { name: 'alice', kind: 'node', threads: 2 },
      { name: 'bob', kind: 'node', threads: 1 },
    ]);
    // Finished tasks (the failed one is not "done"); bob ran at least the pinned chain.
    expect(rows.reduce((sum, r) => sum + r.done, 0)).toBe(13);
    expect(rows.find((r) => r.name === 'bob')?.done).toBeGreaterThanOrEqual(4);
    expect(rows.every((r) => / ago$/.test(r.heartbeat))).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-workers.png'), fullPage: true });
    await page.close();
  });

  it('/graph draws the tasks the scheduler holds, with their dependencies', async () => {
    const page = await open('/graph');
    await page.waitForSelector('svg.bask-graph');
    const summary = await page.$eval('.bask-graph-summary', (p) => ({
      level: p.getAttribute('data-level'),
      tasks: Number(p.getAttribute('data-tasks')),
    }));
    expect(summary).toEqual({ level: 'tasks', tasks: keys.length });
    const nodes = await page.$$eval('g.bask-node', (gs) =>
      gs.map((g) => ({ key: g.getAttribute('data-key'), state: g.getAttribute('data-state') })),
    );
    expect(nodes.map((n) => n.key).sort()).toEqual([...keys].sort());
    expect(nodes.filter((n) => n.state === 'erred')).toHaveLength(1);
    expect(nodes.filter((n) => n.state === 'memory')).toHaveLength(keys.length - 1);
    expect(await page.$$eval('svg.bask-graph path[marker-end]', (p) => p.length)).toBe(3);
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-graph.png'), fullPage: true });
    await page.close();
  });

  it('/metrics is valid Prometheus text and counts what ran', async () => {
    const res = await fetch(`${http}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parsePrometheusText(await res.text());
    const value = (name: string, labels: Record<string, string> = {}): number | undefined =>
      samples.find(
        (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
      )?.value;
    expect(value('bask_workers')).toBe(3);
    expect(value('bask_worker_processes')).toBe(2);
    expect(value('bask_tasks', { state: 'memory' })).toBe(keys.length - 1);
    expect(value('bask_tasks', { state: 'erred' })).toBe(1);
    expect(value('bask_task_duration_seconds_count')).toBe(keys.length);
    expect(value('bask_dashboards')).toBeGreaterThanOrEqual(1);
    expect(value('bask_dashboard_frames_total', { outcome: 'sent' })).toBeGreaterThan(0);
  });

  it('drops frames for a dashboard that stops reading, and never queues for it', async () => {
    const stalled = new WebSocket(address, { perMessageDeflate: false });
    await new Promise((resolve) => stalled.once('open', resolve));
    // After the welcome it stops reading: the scheduler's sends pile up in the TCP buffers,
    // then in its socket, until the hub sees more than HIGH_WATER_BYTES waiting.
    stalled.once('message', () => stalled.pause());
    for (const chunk of encodeFrame({
      type: 'hello',
      version: PROTOCOL_VERSION,
      role: 'dashboard',
    }))
      stalled.send(chunk);
    const metric = async (pattern: RegExp): Promise<number> =>
      Number(pattern.exec(await (await fetch(`${http}/metrics`)).text())?.[1]);
    const dropped = (): Promise<number> =>
      metric(/^bask_dashboard_frames_total\{outcome="dropped"\} (\d+)$/m);
    const buffered = (): Promise<number> => metric(/^bask_dashboard_buffered_bytes_max (\d+)$/m);
    const batch = async (b: number): Promise<void> => {
      const futures = client.map(
        tasks.inc,
        Array.from({ length: 20_000 }, (_, i) => 1e7 * (b + 1) + i),
      );
      await client.gather(futures);
      for (const f of futures) f.release();
    };
    // Each batch streams ~1 MB of frames to each dashboard; the kernel buffers take a few MB.
    let b = 0;
    while ((await dropped()) === 0) {
      expect(b, 'batches before the first dropped frame').toBeLessThan(60);
      await batch(b++);
    }
    const bound = HIGH_WATER_BYTES + 1024 * 1024; // the limit plus one frame of 10k runs
    expect(await buffered()).toBeLessThanOrEqual(bound);
    const droppedBefore = await dropped();
    for (let i = 0; i < 3; i++) await batch(b++);
    expect(await dropped()).toBeGreaterThan(droppedBefore);
    expect(await buffered()).toBeLessThanOrEqual(bound);
    stalled.terminate();
  });

  it('says clearly on /status when the pages were not built', async () => {
    const empty = tempDir('bask-no-pages-');
    const bare = await startScheduler([], { BASK_PAGES_DIR: empty });
    const res = await fetch(`${bare.http}/status`);
    expect(res.status).toBe(503);
    const body = await res.text();
    expect(body).toContain('The dashboard pages are not built');
    expect(body).toContain('npm run build:pages');
    expect(await (await fetch(`${bare.http}/health`)).text()).toBe('ok\n');
    bare.scheduler.kill();
  });

  it('takes the client token from its URL, keeps it in its links, and says when refused', async () => {
    const guarded = await startScheduler(['--client-token', 'dash-secret']);
    const page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(`guarded: ${error.message}`));
    await page.goto(`${guarded.http}/status`);
    await page.waitForSelector('.bask-conn[data-state="closed"]');
    expect(await page.textContent('.bask-conn')).toMatch(/ERR_AUTH/);
    await page.goto(`${guarded.http}/status?token=dash-secret`);
    await page.waitForSelector('.bask-conn[data-state="open"]');
    expect(await page.getAttribute('nav a[href^="./workers"]', 'href')).toBe(
      './workers?token=dash-secret',
    );
    await page.close();
    guarded.scheduler.kill();
  });
});
