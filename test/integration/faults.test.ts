/** The cluster under faults: killed and frozen workers, late joiners, garbage on the socket. */
import { describe, expect, it, vi } from 'vitest';
import { Client, get, isBaskError, ref, task } from '../../src/index.node.js';
import { openSocket } from '../../src/wire/socket.js';
import { encodeFrame } from '../../src/wire/frame.js';
import { tasks } from '../conformance/tasks.js';
import { tasks as itasks } from './tasks.js';
import { startScheduler, startWorker, waitForWorkers } from './cluster.js';

function treeGraph(n: number): { graph: Record<string, unknown>; root: string } {
  const graph: Record<string, unknown> = {};
  let level: string[] = [];
  for (let i = 0; i < n; i++) {
    graph[`leaf-${i}`] = task(itasks.slowAdd, i, 1, 2);
    level.push(`leaf-${i}`);
  }
  let c = 0;
  while (level.length > 1) {
    const next: string[] = [];
    for (let j = 0; j + 1 < level.length; j += 2) {
      graph[`sum-${c}`] = task(tasks.add, ref(level[j] as string), ref(level[j + 1] as string));
      next.push(`sum-${c++}`);
    }
    if (level.length % 2 === 1) next.push(level[level.length - 1] as string);
    level = next;
  }
  return { graph, root: level[0] as string };
}

describe('cluster faults', () => {
  it('computes a 1,000-task graph correctly while a worker is killed with SIGKILL', async () => {
    const { address, http } = await startScheduler();
    const victim = await startWorker(address, ['--nthreads', '2', '--name', 'victim']);
    await startWorker(address, ['--nthreads', '2', '--name', 'survivor']);
    await waitForWorkers(http, 4);
    const client = await Client.connect(address, { setAsDefault: false });
    try {
      const { graph, root } = treeGraph(500);
      const running = get(graph, root, { scheduler: client });
      setTimeout(() => victim.kill('SIGKILL'), 300);
      expect(await running).toBe((500 * 501) / 2);
      expect(victim.child.signalCode).toBe('SIGKILL');
    } finally {
      await client.close();
    }
  });

  it('gives work to a worker that joins mid-run', async () => {
    const { address, http } = await startScheduler();
    await startWorker(address, ['--nthreads', '1', '--name', 'first']);
    await waitForWorkers(http, 1);
    const client = await Client.connect(address, { setAsDefault: false });
    try {
      const futures = Array.from({ length: 40 }, () =>
        client.submit(itasks.slowPid, 100, { pure: false }),
      );
      const late = await startWorker(address, ['--nthreads', '1', '--name', 'late']);
      const pids = new Set(await client.gather(futures));
      expect(pids.has(late.child.pid as number)).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('removes a frozen worker after missed heartbeats and reschedules its work', async () => {
    const { address, http } = await startScheduler(['--heartbeat-timeout', '1500']);
    const frozen = await startWorker(address, ['--nthreads', '1', '--name', 'frozen']);
    await startWorker(address, ['--nthreads', '1', '--name', 'alive']);
    await waitForWorkers(http, 2);
    const client = await Client.connect(address, { setAsDefault: false });
    try {
      frozen.kill('SIGSTOP');
      const futures = client.map(
        tasks.inc,
        Array.from({ length: 20 }, (_, i) => i),
      );
      expect(await client.gather(futures)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      await waitForWorkers(http, 1);
    } finally {
      frozen.kill('SIGKILL');
      await client.close();
    }
  });

  it('replaces a worker thread that dies and fails a task that kills three with ERR_KILLED_WORKER', async () => {
    const { address, http } = await startScheduler();
    await startWorker(address, ['--nthreads', '2', '--name', 'w']);
    await waitForWorkers(http, 2);
    const client = await Client.connect(address, { setAsDefault: false });
    try {
      const error = await client.submit(itasks.exitProcess, 7).exception();
      expect(isBaskError(error, 'ERR_KILLED_WORKER')).toBe(true);
      expect(await client.submit(tasks.inc, 1).result()).toBe(2);
    } finally {
      await client.close();
    }
  });

  it('brings every thread back when threads die while their replacements link', async () => {
    const { address, http } = await startScheduler();
    await startWorker(address, ['--nthreads', '2', '--name', 'w']);
    await waitForWorkers(http, 2);
    const client = await Client.connect(address, { setAsDefault: false });
    try {
      // Each killer ends up to three threads in quick succession: a replacement is often still
      // linking to the other thread when that one dies.
      for (let round = 0; round < 25; round++) {
        const error = await client.submit(itasks.exitProcess, round, { pure: false }).exception();
        expect(isBaskError(error, 'ERR_KILLED_WORKER')).toBe(true);
        await vi.waitFor(
          async () => {
            const info = (await (await fetch(`${http}/api/info`)).json()) as {
              workers: unknown[];
            };
            expect(info.workers).toHaveLength(2);
          },
          { timeout: 30_000, interval: 50 },
        );
      }
      expect(await client.submit(tasks.inc, 1).result()).toBe(2);
    } finally {
      await client.close();
    }
  });

  it('survives malformed messages and keeps serving honest clients', async () => {
    const { address, scheduler, http } = await startScheduler();
    await startWorker(address, ['--nthreads', '1']);
    await waitForWorkers(http, 1);
    for (const junk of [
      new Uint8Array([1, 2, 3]),
      new Uint8Array(64).fill(255),
      encodeFrame({ type: 'hello', version: 1, role: 'client' })[0]!.slice(0, 12),
    ]) {
      const socket = await openSocket(address);
      const closed = new Promise<number>((resolve) => socket.onClose((code) => resolve(code)));
      socket.send([junk]);
      expect(await closed).toBe(4002);
    }
    const client = await Client.connect(address, { setAsDefault: false });
    expect(await client.submit(tasks.add, 2, 3).result()).toBe(5);
    await client.close();
    expect(scheduler.child.exitCode).toBeNull();
    const metrics = await (await fetch(`${http}/metrics`)).text();
    expect(metrics).toMatch(/bask_connections_closed_total\{reason="invalid"\} [1-9]/);
  });
});

describe('data between worker processes', () => {
  it('completes a three-way exchange where each process needs the next one’s result', async () => {
    const { address, http } = await startScheduler();
    await Promise.all(
      ['p0', 'p1', 'p2'].map((name) => startWorker(address, ['--nthreads', '1', '--name', name])),
    );
    await waitForWorkers(http, 3);
    const client = await Client.connect(address, { setAsDefault: false });
    try {
      const parts = [0, 1, 2].map((i) =>
        client.submit(itasks.slowAdd, i, 100, 50, { workers: [`p${i}`], pure: false }),
      );
      const sums = [0, 1, 2].map((i) =>
        client.submit(tasks.add, parts[i]!, parts[(i + 1) % 3]!, {
          workers: [`p${i}`],
          pure: false,
        }),
      );
      expect(await client.gather(sums)).toEqual([201, 203, 202]);
      // Bytes moved show up with the next heartbeats.
      await vi.waitFor(
        async () =>
          expect(await (await fetch(`${http}/metrics`)).text()).toMatch(
            /bask_transfer_bytes_total\{path="(peer|relay)"\} [1-9]/,
          ),
        { timeout: 10_000 },
      );
    } finally {
      await client.close();
    }
  });
});
