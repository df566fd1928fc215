/**
 * Worker processes outlive their scheduler's restarts, as Dask workers do: they join again when
 * the scheduler comes back, wait for one that is not up yet, and give up after
 * --death-timeout without one. Real `bask scheduler` and `bask worker` processes.
 */
import { describe, expect, it } from 'vitest';
import { Client } from '../../src/index.node.js';
import { tasks } from '../conformance/tasks.js';
import { bask, startScheduler, startWorker, waitFor, waitForWorkers } from './cluster.js';

const portOf = (address: string): string => new URL(address).port;

describe('a worker without its scheduler', () => {
  it('joins again when the scheduler restarts on the same address, and computes there', async () => {
    const first = await startScheduler();
    const worker = await startWorker(first.address, ['--nthreads', '1', '--name', 'phoenix']);
    await waitForWorkers(first.http, 1);
    first.scheduler.kill('SIGKILL');
    await first.scheduler.exited;
    const second = await startScheduler(['--port', portOf(first.address)]);
    await waitFor(worker, /Worker 'phoenix' registered again at/, 'worker');
    await waitForWorkers(second.http, 1);
    const client = await Client.connect(second.address, { setAsDefault: false });
    try {
      expect(await client.submit(tasks.inc, 41).result()).toBe(42);
    } finally {
      await client.close();
    }
    expect(worker.child.exitCode).toBeNull();
  });

  it('waits for a scheduler that is not up yet', async () => {
    const probe = await startScheduler();
    probe.scheduler.kill('SIGKILL');
    await probe.scheduler.exited;
    const worker = bask(['worker', probe.address, '--nthreads', '1', '--death-timeout', '30']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const late = await startScheduler(['--port', portOf(probe.address)]);
    await waitFor(worker, /registered at/, 'worker');
    await waitForWorkers(late.http, 1);
  });

  it('gives up after --death-timeout without a scheduler, with exit code 1', async () => {
    const { scheduler, address, http } = await startScheduler();
    const worker = await startWorker(address, ['--nthreads', '1', '--death-timeout', '1']);
    await waitForWorkers(http, 1);
    scheduler.kill('SIGKILL');
    expect(await worker.exited).toBe(1);
    expect(worker.output()).toMatch(
      /No scheduler answered at ws:\/\/\S+ for 1 s \(--death-timeout\)\. Last try: /,
    );
  });

  it('refuses a bad --death-timeout', async () => {
    const worker = bask(['worker', 'ws://127.0.0.1:1', '--death-timeout', 'soon']);
    expect(await worker.exited).toBe(2);
    expect(worker.output()).toMatch(/--death-timeout: expected seconds/);
  });
});
