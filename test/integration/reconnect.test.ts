/**
 * Clients outlive their scheduler's restarts: a real `bask scheduler` on a fixed port is
 * killed (SIGKILL) and started again there; the client reconnects, its old futures are 'lost'
 * with ERR_DATA_LOST (never answered from a copy), new work computes, and the `bask worker`
 * rejoined. A client that cannot reconnect gives up with ERR_CONNECTION. No timed assertions:
 * small retry delays, and waits for conditions.
 */
import { describe, expect, it } from 'vitest';
import { Client } from '../../src/index.node.js';
import { tasks } from '../conformance/tasks.js';
import { tasks as itasks } from './tasks.js';
import { rejectionBask } from '../helpers.js';
import { freePort, startScheduler, startWorker, waitFor, waitForWorkers } from './cluster.js';

async function until(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; !ok(); i++) {
    if (i > 1200) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const fast = { retries: 200, initialDelayMs: 20, maxDelayMs: 100 };

describe('a client without its scheduler', () => {
  it('reconnects to a restarted scheduler: old futures are lost, new work computes', async () => {
    const port = await freePort();
    const first = await startScheduler(['--port', port]);
    const worker = await startWorker(first.address, ['--nthreads', '1', '--name', 'phoenix']);
    await waitForWorkers(first.http, 1);
    const client = await Client.connect(first.address, { setAsDefault: false, reconnect: fast });
    try {
      const done = client.submit(tasks.inc, 1);
      expect(await done.result()).toBe(2);
      const pending = client.submit(itasks.sleep, 60_000, 7);
      expect(client.status).toBe('connected');

      first.scheduler.kill('SIGKILL');
      await first.scheduler.exited;
      await until(() => client.status === 'reconnecting', "status 'reconnecting'");
      for (const future of [done, pending]) {
        expect(future.status).toBe('lost');
        expect(future.done()).toBe(true);
        const error = await rejectionBask(future.result());
        expect(error.code).toBe('ERR_DATA_LOST');
        expect(error.message).toMatch(/restarted/);
        expect(error.message).toMatch(/compute it again/);
      }
      // Submitted while the scheduler is down: waits for the reconnection.
      const waiting = client.submit(tasks.inc, 10);

      const second = await startScheduler(['--port', port]);
      expect(second.address).toBe(first.address);
      expect(await waiting.result()).toBe(11);
      expect(client.status).toBe('connected');
      expect(await client.submit(tasks.inc, 41).result()).toBe(42);
      // The old futures stay lost: the new scheduler knows nothing of them.
      expect((await rejectionBask(done)).code).toBe('ERR_DATA_LOST');
      await waitFor(worker, /Worker 'phoenix' registered again at/, 'worker');
      await waitForWorkers(second.http, 1);
    } finally {
      await client.close();
    }
    expect(client.status).toBe('closed');
  });

  it('gives up after its retries with ERR_CONNECTION', async () => {
    const { scheduler, address } = await startScheduler(['--port', await freePort()]);
    const client = await Client.connect(address, {
      setAsDefault: false,
      reconnect: { retries: 2, initialDelayMs: 10, maxDelayMs: 20 },
    });
    await client.info();
    scheduler.kill('SIGKILL');
    await scheduler.exited;
    await until(() => client.status !== 'connected', 'the client to see the loss');
    const future = client.submit(tasks.inc, 1);
    const error = await rejectionBask(future);
    expect(error.code).toBe('ERR_CONNECTION');
    expect(error.message).toMatch(/Gave up reconnecting .* after 3 attempts/);
    await until(() => client.status === 'closed', "status 'closed'");
    expect(() => client.submit(tasks.inc, 1)).toThrow(/closed/);
  });

  it('with reconnect: false, closes at once with ERR_CONNECTION', async () => {
    const { scheduler, address } = await startScheduler();
    const client = await Client.connect(address, { setAsDefault: false, reconnect: false });
    const pending = client.submit(itasks.sleep, 60_000, 1);
    await client.info();
    scheduler.kill('SIGKILL');
    expect((await rejectionBask(pending)).code).toBe('ERR_CONNECTION');
    await until(() => client.status === 'closed', "status 'closed'");
  });

  it('stops retrying when closed: waiting work rejects with ERR_CLIENT_CLOSED', async () => {
    const { scheduler, address } = await startScheduler();
    const client = await Client.connect(address, {
      setAsDefault: false,
      reconnect: { retries: Infinity, initialDelayMs: 10, maxDelayMs: 50 },
    });
    await client.info();
    scheduler.kill('SIGKILL');
    await until(() => client.status === 'reconnecting', "status 'reconnecting'");
    const waiting = client.submit(tasks.inc, 1);
    const info = client.info();
    await client.close();
    expect(client.status).toBe('closed');
    expect((await rejectionBask(waiting)).code).toBe('ERR_CLIENT_CLOSED');
    expect((await rejectionBask(info)).code).toBe('ERR_CLIENT_CLOSED');
  });

  it('refuses a bad reconnect option, naming it', async () => {
    await expect(
      Client.connect('ws://127.0.0.1:1', { reconnect: { retries: -1 } }),
    ).rejects.toThrow(/reconnect: retries must be/);
  });
});
