/**
 * Spill in real Chromium: a volunteer with a 1 MB memory budget holds 2 MB results, so they
 * go to IndexedDB as soon as no queued task needs them; tasks on the same volunteer, another
 * browser (over WebRTC) and the client (a gather) still get them, the scheduler's /metrics and
 * the page show the spilled bytes, and releasing the results empties IndexedDB again.
 */
import type { Browser } from 'playwright';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Client, wait } from '../../src/index.node.js';
import { startScheduler } from '../integration/cluster.js';
import { expectedTotal, tasks } from './volunteer-tasks.js';
import {
  buildVolunteerPage,
  launchChromium,
  openVolunteer,
  pageNumber,
  schedulerMetrics,
  until,
  type VolunteerPage,
} from './volunteers.js';

const N = 250_000; // 2 MB per array
let browser: Browser;
let client: Client;
let http = '';
let small: VolunteerPage;

beforeAll(async () => {
  await buildVolunteerPage();
  browser = await launchChromium();
  const started = await startScheduler();
  http = started.http;
  [small] = await Promise.all([
    openVolunteer(browser, http, 's1', { memory: String(1_000_000) }),
    openVolunteer(browser, http, 's2'),
  ]);
  client = await Client.connect(started.address, { setAsDefault: false });
});

afterAll(async () => {
  await client?.close();
  await browser?.close();
});

it('spills results past the memory budget to IndexedDB and reads them back', async () => {
  const arrays = [0, 1, 2, 3].map((i) =>
    client.submit(tasks.makeArray, N, i, { workers: ['s1/0'] }),
  );
  await wait(arrays);
  const spilled = await until(
    () => pageNumber(small.page, 'spilled'),
    (bytes) => bytes >= 4 * 8 * N,
    'spilled bytes on the page',
  );
  expect(await pageNumber(small.page, 'memory')).toBeLessThan(spilled);
  await until(
    () => schedulerMetrics(http),
    (m) => m.spilled >= 4 * 8 * N,
    '/metrics',
  );

  // Read back by a task on the same volunteer, by another browser, and by the client.
  const here = client.submit(tasks.totals, ...arrays, { workers: ['s1/0'] });
  const there = client.submit(tasks.total, arrays[3]!, { workers: ['s2/0'] });
  let expected = 0;
  for (let i = 0; i < 4; i++) expected += expectedTotal(N, i);
  expect(await here.result()).toBeCloseTo(expected, 6);
  expect(await there.result()).toBe(expectedTotal(N, 3));
  const gathered = await arrays[1]!.result();
  expect(gathered).toBeInstanceOf(Float64Array);
  expect(gathered).toEqual(tasks.makeArray(N, 1));

  // Released results leave IndexedDB too.
  for (const f of arrays) f.release();
  here.release();
  await until(
    () => pageNumber(small.page, 'spilled'),
    (bytes) => bytes === 0,
    'an empty spill',
  );
  expect(small.errors).toEqual([]);
});
