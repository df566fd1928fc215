/**
 * A volunteer tab outlives its scheduler's restarts: the `/worker` page in real Chromium joins a
 * real `bask scheduler`, the scheduler is killed (SIGKILL) and started again on the same ports,
 * and the tab says it is reconnecting, joins again as a fresh worker, and runs tasks again for
 * a client that reconnected too. No timed assertions: waits for conditions.
 */
import type { Browser } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../src/index.node.js';
import { freePort, startScheduler, waitForWorkers } from '../integration/cluster.js';
import { expectedTotal, tasks } from './volunteer-tasks.js';
import { buildVolunteerPage, launchChromium, openVolunteer, until } from './volunteers.js';

let browser: Browser;

beforeAll(async () => {
  await buildVolunteerPage();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

describe('a volunteer tab without its scheduler', () => {
  it('rejoins a scheduler restarted at the same address and runs tasks again', async () => {
    // The same WebSocket and HTTP ports: the page's scripts (router, threads) come from there.
    const ports = ['--port', await freePort(), '--dashboard-port', await freePort()];
    const first = await startScheduler(ports);
    const tab = await openVolunteer(browser, first.http, 'tab');
    const client = await Client.connect(first.address, {
      setAsDefault: false,
      reconnect: { retries: 200, initialDelayMs: 20, maxDelayMs: 200 },
    });
    try {
      const onTab = { workers: ['tab/0'] };
      const run = (seed: number): Promise<number> =>
        client
          .submit(tasks.total, client.submit(tasks.makeArray, 1000, seed, onTab), onTab)
          .result();
      expect(await run(1)).toBe(expectedTotal(1000, 1));

      first.scheduler.kill('SIGKILL');
      await first.scheduler.exited;
      await tab.page.waitForSelector('#status[data-state="reconnecting"]', { timeout: 30_000 });

      const second = await startScheduler(ports);
      expect(second.http).toBe(first.http);
      await tab.page.waitForSelector('#status[data-state="running"]', { timeout: 30_000 });
      await waitForWorkers(second.http, 1);
      const info = await until(
        () => client.info(),
        (i) => i.workers.some((w) => w.id === 'tab/0'),
        'the tab in the new scheduler',
      );
      expect(info.workers.map((w) => w.id)).toEqual(['tab/0']);
      expect(await run(2)).toBe(expectedTotal(1000, 2));
      expect(tab.errors).toEqual([]);
    } finally {
      await client.close();
      await tab.context.close();
    }
  });
});
