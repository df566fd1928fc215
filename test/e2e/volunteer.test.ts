/**
 * Volunteer browsers in real Chromium against real `bask scheduler` processes: the `/worker`
 * page joins in three separate browser contexts, a Node client computes across them, and the
 * counters the volunteers report (their page, the scheduler's /metrics) say which path the
 * data took. Worker restrictions (`workers: ['v1/0']`) force results across browsers.
 */
import type { Browser } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, isBaskError } from '../../src/index.node.js';
import { startScheduler, startWorker } from '../integration/cluster.js';
import { expectedTotal, tasks } from './volunteer-tasks.js';
import {
  buildVolunteerPage,
  launchChromium,
  openVolunteer,
  pageBytes,
  pageNumber,
  schedulerMetrics,
  until,
  type VolunteerPage,
} from './volunteers.js';

const N = 1_000_000; // 8 MB per array
let browser: Browser;
const clients: Client[] = [];

beforeAll(async () => {
  await buildVolunteerPage();
  browser = await launchChromium();
});

afterAll(async () => {
  for (const c of clients) await c.close();
  await browser?.close();
});

async function connect(address: string): Promise<Client> {
  const client = await Client.connect(address, { setAsDefault: false });
  clients.push(client);
  return client;
}

/** Arrays made on each volunteer, summed on the next one: every sum crosses browsers. */
async function ring(client: Client, names: readonly string[]): Promise<number[]> {
  const sums = names.map((name, i) => {
    const array = client.submit(tasks.makeArray, N, i + 1, { workers: [`${name}/0`] });
    const next = names[(i + 1) % names.length] as string;
    return client.submit(tasks.total, array, { workers: [`${next}/0`] });
  });
  return client.gather(sums);
}

function expectedRing(n: number): number[] {
  return Array.from({ length: n }, (_, i) => expectedTotal(N, i + 1));
}

describe('volunteer browsers', () => {
  let address = '';
  let http = '';
  let volunteers: VolunteerPage[] = [];

  beforeAll(async () => {
    ({ address, http } = await startScheduler());
    volunteers = await Promise.all(
      ['v1', 'v2', 'v3'].map((name) => openVolunteer(browser, http, name)),
    );
  });

  it('join as workers with their threads', async () => {
    const client = await connect(address);
    const info = await client.info();
    expect(info.workers.map((w) => w.id).sort()).toEqual(['v1/0', 'v2/0', 'v3/0']);
    expect(info.workers.every((w) => w.host.startsWith('browser'))).toBe(true);
  });

  it('move results between browsers over WebRTC, not through the relay', async () => {
    const client = await connect(address);
    expect(await ring(client, ['v1', 'v2', 'v3'])).toEqual(expectedRing(3));
    const metrics = await until(
      () => schedulerMetrics(http),
      (m) => (m.transfer['webrtc'] ?? 0) >= 3 * 8 * N,
      'WebRTC bytes on /metrics',
    );
    expect(metrics.transfer['relay'] ?? 0).toBe(0);
    // Each volunteer sent one array and received one, and shows it.
    for (const v of volunteers) {
      for (const way of ['in', 'out'] as const)
        await until(
          () => pageBytes(v.page, 'webrtc', way),
          (n) => n >= 8 * N,
          `${v.name}'s WebRTC bytes ${way}`,
        );
      expect(await pageBytes(v.page, 'relay', 'out')).toBe(0);
      expect(await pageNumber(v.page, 'peers')).toBeGreaterThanOrEqual(1);
    }
  });

  it('loses nothing when a tab closes mid-run', async () => {
    const client = await connect(address);
    const arrays = Array.from({ length: 18 }, (_, i) =>
      client.submit(tasks.slowArray, 100_000, 100 + i, 250, { pure: false }),
    );
    const sum = client.submit(tasks.totals, ...arrays);
    const v3 = volunteers[2] as VolunteerPage;
    const before = await pageNumber(v3.page, 'tasks-done');
    // v3 has computed (and holds) some of the arrays: now its tab goes away.
    await until(
      () => pageNumber(v3.page, 'tasks-done'),
      (n) => n > before,
      'v3 to finish a task',
    );
    await v3.context.close();
    let expected = 0;
    for (let i = 0; i < 18; i++) expected += expectedTotal(100_000, 100 + i);
    expect(await sum.result()).toBeCloseTo(expected, 6);
    expect((await client.info()).workers.map((w) => w.id).sort()).toEqual(['v1/0', 'v2/0']);
    for (const v of volunteers.slice(0, 2)) expect(v.errors).toEqual([]);
  });
});

describe('volunteer browsers that cannot open WebRTC', () => {
  it('use the relay, unnoticed', async () => {
    const { address, http } = await startScheduler();
    // A network where peers cannot reach each other directly and there is no TURN server.
    const blockDirect = (): void => {
      const Native = window.RTCPeerConnection;
      window.RTCPeerConnection = class extends Native {
        constructor(config?: RTCConfiguration) {
          super({ ...config, iceTransportPolicy: 'relay' });
        }
      };
    };
    const names = ['b1', 'b2'];
    const pages = await Promise.all(
      names.map((name) => openVolunteer(browser, http, name, {}, blockDirect)),
    );
    const client = await connect(address);
    expect(await ring(client, names)).toEqual(expectedRing(2));
    const metrics = await until(
      () => schedulerMetrics(http),
      (m) => (m.transfer['relay'] ?? 0) >= 2 * 8 * N,
      'relay bytes on /metrics',
    );
    // Only the first requests went out on WebRTC before giving up on it: no data.
    expect(metrics.transfer['webrtc'] ?? 0).toBeLessThan(10_000);
    for (const p of pages) {
      expect(await pageNumber(p.page, 'peers')).toBe(0);
      expect(p.errors).toEqual([]);
    }
    await Promise.all(pages.map((p) => p.context.close()));
  });

  it('use the relay when told not to use WebRTC', async () => {
    const { address, http } = await startScheduler();
    const names = ['r1', 'r2'];
    const pages = await Promise.all(
      names.map((name) => openVolunteer(browser, http, name, { webrtc: 'off' })),
    );
    const client = await connect(address);
    expect(await ring(client, names)).toEqual(expectedRing(2));
    const metrics = await until(
      () => schedulerMetrics(http),
      (m) => (m.transfer['relay'] ?? 0) >= 2 * 8 * N,
      'relay bytes on /metrics',
    );
    expect(metrics.transfer['webrtc'] ?? 0).toBe(0);
    await Promise.all(pages.map((p) => p.context.close()));
  });
});

describe('volunteer browsers next to Node workers', () => {
  it('fetch from Node workers directly and serve them through the relay', async () => {
    const { address, http } = await startScheduler();
    await startWorker(address, ['--nthreads', '1', '--name', 'n1']);
    const b1 = await openVolunteer(browser, http, 'b1');
    const client = await connect(address);
    const fromNode = client.submit(tasks.makeArray, N, 7, { workers: ['n1/0'] });
    const fromBrowser = client.submit(tasks.makeArray, N, 8, { workers: ['b1/0'] });
    const sums = [
      client.submit(tasks.total, fromNode, { workers: ['b1/0'] }),
      client.submit(tasks.total, fromBrowser, { workers: ['n1/0'] }),
    ];
    expect(await client.gather(sums)).toEqual([expectedTotal(N, 7), expectedTotal(N, 8)]);
    // The browser read the Node worker's array over a WebSocket to its peer server, and the
    // Node worker read the browser's through the scheduler.
    await until(
      () => pageBytes(b1.page, 'peer', 'in'),
      (n) => n >= 8 * N,
      'peer bytes',
    );
    await until(
      () => pageBytes(b1.page, 'relay', 'out'),
      (n) => n >= 8 * N,
      'relay bytes',
    );
    expect(b1.errors).toEqual([]);
    await b1.context.close();
  });
});

describe('verify across a browser tab and a Node worker', () => {
  it('agrees on the content hash of the same results (nothing quarantined)', async () => {
    const { address, http } = await startScheduler();
    await startWorker(address, ['--nthreads', '1', '--name', 'n1']);
    const b1 = await openVolunteer(browser, http, 'b1');
    const client = await connect(address);
    // Two hosts, verify: 2: every task runs once in Chromium and once in Node.
    const arrays = client.map(tasks.makeArray, [10, 5000, 100_000], [1, 2, 3], { verify: 2 });
    const sums = arrays.map((a) => client.submit(tasks.total, a, { verify: 2 }));
    expect(await client.gather(sums)).toEqual([
      expectedTotal(10, 1),
      expectedTotal(5000, 2),
      expectedTotal(100_000, 3),
    ]);
    expect(await client.submit(tasks.inc, 41, { verify: 2 }).result()).toBe(42);
    const metrics = await (await fetch(`${http}/metrics`)).text();
    expect(metrics).toMatch(/^bask_verify_agreed_total 7$/m);
    expect(metrics).toMatch(/^bask_verify_mismatches_total 0$/m);
    expect(metrics).toMatch(/^bask_quarantined_total 0$/m);
    expect(b1.errors).toEqual([]);
    await b1.context.close();
  });
});

describe('the volunteer page', () => {
  it('replaces a thread that crashes; a task that kills three fails with ERR_KILLED_WORKER', async () => {
    const { address, http } = await startScheduler();
    const c1 = await openVolunteer(browser, http, 'c1');
    const client = await connect(address);
    for (const how of ['error', 'rejection'] as const) {
      const error = await client.submit(tasks.crash, how).exception();
      expect(isBaskError(error, 'ERR_KILLED_WORKER')).toBe(true);
      expect(await client.submit(tasks.inc, 1, { workers: ['c1/0'] }).result()).toBe(2);
    }
    await c1.context.close();
  });

  it('asks for the worker token when the scheduler refuses, and joins with it', async () => {
    const { address, http } = await startScheduler(['--worker-token', 'sesame']);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${http}/worker?name=t1&threads=1`);
    await page.waitForSelector('#status[data-state="refused"]');
    await page.fill('#token', 'sesame');
    await page.click('#token-form button[type="submit"]');
    await page.waitForSelector('#status[data-state="running"]');
    const client = await connect(address);
    expect((await client.info()).workers.map((w) => w.id)).toEqual(['t1/0']);
    expect(await client.submit(tasks.inc, 41, { workers: ['t1/0'] }).result()).toBe(42);
    await context.close();
  });
});
