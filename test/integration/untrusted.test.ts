/**
 * Untrusted workers on a real cluster: a `bask worker` process that returns wrong results
 * (a task reads an environment variable set on that process only) is caught by `verify` and
 * quarantined; a worker whose thread hangs loses the task to another worker after `timeout`,
 * and a task that hangs everywhere fails with ERR_TIMEOUT. Behaviour only, no timings.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../temp-dir.js';
import { Client, delayed, isBaskError, wait } from '../../src/index.node.js';
import { parsePrometheusText } from '../e2e/prometheus.js';
import { tasks } from '../conformance/tasks.js';
import { tasks as itasks } from './tasks.js';
import { startScheduler, startWorker, waitForWorkers } from './cluster.js';

interface Info {
  workers: { id: string }[];
  quarantined: { name: string; key: string; reason: string; workers: string[] }[];
}

async function info(http: string): Promise<Info> {
  return (await (await fetch(`${http}/api/info`)).json()) as Info;
}

async function metric(http: string, name: string): Promise<number> {
  const samples = parsePrometheusText(await (await fetch(`${http}/metrics`)).text());
  return samples.find((s) => s.name === name)?.value ?? Number.NaN;
}

function lines(path: string): number {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).length : 0;
}

/** Polls until `check` holds (no deadline of its own: the test's timeout bounds it). */
async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 50));
}

describe('untrusted workers', () => {
  it('catches every wrong result of a lying worker, quarantines it, and answers right', async () => {
    const log = join(tempDir('bask-liar-'), 'lies.txt');
    const { address, http } = await startScheduler();
    await startWorker(address, ['--nthreads', '1', '--name', 'honest-a']);
    await startWorker(address, ['--nthreads', '1', '--name', 'liar'], {
      BASK_TEST_LIAR: '1',
      BASK_TEST_LIAR_LOG: log,
    });
    await startWorker(address, ['--nthreads', '1', '--name', 'honest-b']);
    await waitForWorkers(http, 3);
    const client = await Client.connect(address, { setAsDefault: false });
    try {
      // Delayed values through the client: a sum over 12 increments, every task verified.
      const incs = Array.from({ length: 12 }, (_, i) => delayed(itasks.liarInc)(i));
      const total = delayed(tasks.sum)(incs);
      expect(await total.compute({ scheduler: client, verify: 2 })).toBe(
        Array.from({ length: 12 }, (_, i) => i + 1).reduce((a, b) => a + b, 0),
      );
      const lies = lines(log);
      expect(lies).toBeGreaterThan(0);
      // Every lie it told is counted once it has arrived (a last one may still be on its way).
      await until(async () => (await metric(http, 'bask_verify_mismatches_total')) === lines(log));
      const quarantined = (await info(http)).quarantined;
      expect(quarantined.map((q) => q.name)).toEqual(['liar']);
      expect(quarantined[0]?.workers).toEqual(['liar/0']);
      expect((await info(http)).workers.map((w) => w.id).sort()).toEqual([
        'honest-a/0',
        'honest-b/0',
      ]);
      expect(await metric(http, 'bask_quarantined_workers')).toBe(1);
      expect(await metric(http, 'bask_quarantined_total')).toBe(1);
      // Futures with verify: right answers, and the quarantined worker gets none of the work.
      const before = lines(log);
      const futures = client.map(itasks.liarInc, [100, 200, 300], { verify: 2 });
      expect(await client.gather(futures)).toEqual([101, 201, 301]);
      const one = client.submit(itasks.liarInc, 7, { verify: 2 });
      expect(await one.result()).toBe(8);
      expect(lines(log)).toBe(before);
      expect(await metric(http, 'bask_verify_mismatches_total')).toBe(before);
    } finally {
      await client.close();
    }
  });

  it('catches a worker that hashes its result honestly and serves other bytes, and recomputes', async () => {
    const { address, http } = await startScheduler();
    await startWorker(address, ['--nthreads', '1', '--name', 'forger'], { BASK_TEST_FORGER: '1' });
    const honestA = await startWorker(address, ['--nthreads', '1', '--name', 'honest-a']);
    await waitForWorkers(http, 2);
    const client = await Client.connect(address, { setAsDefault: false });
    try {
      // Verified on both: the forger's hash is right (it hashes the true value).
      const x = client.submit(itasks.seal, 5, { verify: 2 });
      await wait(x);
      // Only the forger holds x now; the dependent must fetch it from another host.
      await startWorker(address, ['--nthreads', '1', '--name', 'honest-c']);
      await startWorker(address, ['--nthreads', '1', '--name', 'honest-d']);
      await waitForWorkers(http, 4);
      honestA.child.kill('SIGKILL');
      await waitForWorkers(http, 3);
      const y = client.submit(itasks.unseal, x, { workers: ['honest-c'] });
      expect(await y.result()).toBe(5);
      const quarantined = (await info(http)).quarantined;
      expect(quarantined.map((q) => q.name)).toEqual(['forger']);
      expect(quarantined[0]?.reason).toMatch(
        /served data for '.*' that does not match its verified hash/,
      );
      expect(await metric(http, 'bask_verify_forged_total')).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('moves a task off a worker where it hangs, replaces the stuck thread, and finishes', async () => {
    const { address, http } = await startScheduler();
    const stuck = await startWorker(address, ['--nthreads', '1', '--name', 'stuck'], {
      BASK_TEST_HANG: '1',
    });
    await startWorker(address, ['--nthreads', '1', '--name', 'fine']);
    await waitForWorkers(http, 2);
    const client = await Client.connect(address, { setAsDefault: false });
    try {
      // Both threads are idle: the first two tasks go one to each, so one lands on 'stuck'.
      const futures = client.map(itasks.doubleUnlessStuck, [1, 2, 3, 4], { timeout: 1500 });
      expect(await client.gather(futures)).toEqual([2, 4, 6, 8]);
      expect(await metric(http, 'bask_task_timeouts_total')).toBeGreaterThanOrEqual(1);
      // The stuck thread was replaced (the process lives on) and is back in the cluster.
      await waitForWorkers(http, 2);
      expect(stuck.child.exitCode).toBeNull();
      expect(await client.submit(tasks.inc, 41, { workers: ['stuck'] }).result()).toBe(42);
    } finally {
      await client.close();
    }
  });

  it('fails a task that hangs on every worker with ERR_TIMEOUT, and the cluster goes on', async () => {
    const { address, http } = await startScheduler();
    await startWorker(address, ['--nthreads', '1', '--name', 'one']);
    await startWorker(address, ['--nthreads', '1', '--name', 'two']);
    await waitForWorkers(http, 2);
    const client = await Client.connect(address, { setAsDefault: false });
    try {
      const hung = client.submit(itasks.hangEverywhere, 1, { timeout: 1000 });
      const error = await hung.result().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isBaskError(error, 'ERR_TIMEOUT')).toBe(true);
      expect((error as Error).message).toMatch(/timeout on 2 worker hosts/);
      expect(await metric(http, 'bask_task_timeouts_total')).toBe(2);
      await waitForWorkers(http, 2);
      expect(await client.gather(client.map(tasks.inc, [1, 2, 3]))).toEqual([2, 3, 4]);
    } finally {
      await client.close();
    }
  });
});
