/** The futures API against a real scheduler and worker processes. */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  Client,
  Future,
  asCompleted,
  compute,
  delayed,
  isBaskError,
  wait,
} from '../../src/index.node.js';
import { encodeFrame, decodeFrame } from '../../src/wire/frame.js';
import { openSocket } from '../../src/wire/socket.js';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tasks } from '../conformance/tasks.js';
import { tasks as itasks } from './tasks.js';
import { startScheduler, startWorker, waitForWorkers } from './cluster.js';

let address = '';
let http = '';
let client: Client;

async function taskCount(): Promise<number> {
  const info = (await (await fetch(`${http}/api/info`)).json()) as {
    tasks: Record<string, number>;
  };
  return Object.values(info.tasks).reduce((a, b) => a + b, 0);
}

beforeAll(async () => {
  ({ address, http } = await startScheduler());
  await Promise.all([
    startWorker(address, ['--nthreads', '2', '--name', 'alice']),
    startWorker(address, ['--nthreads', '1', '--name', 'bob']),
  ]);
  await waitForWorkers(http, 3);
  client = await Client.connect(address);
});

afterAll(async () => {
  await client.close();
});

describe('futures', () => {
  it('submits, chains futures as arguments, and returns results', async () => {
    const a = client.submit(tasks.inc, 1);
    const b = client.submit(tasks.add, a, 10);
    expect(a).toBeInstanceOf(Future);
    expect(await b.result()).toBe(12);
    expect(a.done()).toBe(true);
    expect(a.status).toBe('finished');
    expect(a.key).toMatch(/^inc-[0-9a-f]{16}$/);
    // pure by default: equal calls share the key
    expect(client.submit(tasks.inc, 1).key).toBe(a.key);
  });

  it('maps, gathers in shape, and honours key and priority options', async () => {
    const futures = client.map(tasks.inc, [1, 2, 3]);
    expect(await client.gather({ list: futures, one: futures[0] })).toEqual({
      list: [2, 3, 4],
      one: 2,
    });
    const named = client.submit(tasks.add, 1, 2, { key: 'my-sum', priority: 5 });
    expect(named.key).toBe('my-sum');
    expect(await named.result()).toBe(3);
  });

  it('scatters data and uses it as an argument', async () => {
    // scatter returns futures at once (a promise would adopt a thenable Future's value).
    const data = client.scatter(new Float64Array([1, 2, 3, 4]));
    expect(data).toBeInstanceOf(Future);
    expect(await client.submit(tasks.total, data).result()).toBe(10);
    const [x, y] = client.scatter([5, 6]);
    expect(await client.submit(tasks.add, x as Future<number>, y as Future<number>).result()).toBe(
      11,
    );
  });

  it('reports failures with the remote stack; exception() and addDoneCallback work', async () => {
    const bad = client.submit(tasks.fail, 'broken on the worker');
    const seen: string[] = [];
    bad.addDoneCallback((f) => seen.push(f.status));
    const error = await bad.exception();
    expect(isBaskError(error, 'ERR_TASK_FAILED')).toBe(true);
    expect(((error as Error).cause as Error).message).toBe('broken on the worker');
    expect(((error as Error).cause as Error).stack).toContain('fail');
    await expect(bad.result()).rejects.toMatchObject({ code: 'ERR_TASK_FAILED' });
    expect(seen).toEqual(['error']);
  });

  it('cancels a future: result() rejects with ERR_CANCELLED', async () => {
    const slow = client.submit(tasks.asyncInc, 1, { pure: false });
    slow.cancel();
    await expect(slow.result()).rejects.toMatchObject({ code: 'ERR_CANCELLED' });
  });

  it('yields futures as they complete and waits for them', async () => {
    const futures = [3, 1, 2].map((n) => client.submit(tasks.asyncInc, n, { pure: false }));
    const seen: number[] = [];
    for await (const [, value] of asCompleted(futures, { withResults: true }))
      seen.push(value as number);
    expect(seen.sort()).toEqual([2, 3, 4]);
    const { done, notDone } = await wait(futures);
    expect(done).toHaveLength(3);
    expect(notDone).toHaveLength(0);
  });

  it('computes and persists Delayed values as futures; is the default scheduler', async () => {
    const d = delayed(tasks.add)(delayed(tasks.inc)(1), 5);
    const future = client.compute(d);
    expect(await future.result()).toBe(7);
    expect(await compute(d)).toEqual([7]);
  });

  it('releases keys on the scheduler when no future refers to them', async () => {
    const before = await taskCount();
    const f = client.submit(tasks.add, 100, 200, { pure: false });
    expect(await f.result()).toBe(300);
    expect(await taskCount()).toBe(before + 1);
    f.release();
    await vi.waitFor(async () => expect(await taskCount()).toBe(before), { timeout: 10_000 });
  });

  it('keeps fire-and-forget work running after its client leaves', async () => {
    const before = await taskCount();
    const marker = join(tmpdir(), `bask-fire-${process.pid}-${Date.now()}`);
    const other = await Client.connect(address, { setAsDefault: false });
    const f = other.submit(itasks.writeMarkerLater, marker, 200, { pure: false });
    other.fireAndForget(f);
    await other.close();
    await vi.waitFor(() => expect(existsSync(marker)).toBe(true), { timeout: 10_000 });
    rmSync(marker);
    await vi.waitFor(async () => expect(await taskCount()).toBe(before), { timeout: 10_000 });
  });

  it('moves inputs between worker processes instead of recomputing them', async () => {
    const log = join(tmpdir(), `bask-runs-${process.pid}-${Date.now()}`);
    const incs = client.map(itasks.countedInc, [log, log, log], [1, 2, 3], {
      workers: ['bob'],
      pure: false,
    });
    const total = client.submit(tasks.sum, incs, { workers: ['alice'] });
    expect(await total.result()).toBe(9);
    // Each inc ran once, on bob; alice fetched the three values from bob's process.
    expect(readFileSync(log, 'utf8').trim().split('\n').sort()).toEqual(['1', '2', '3']);
    rmSync(log);
    for (const f of [...incs, total]) f.release();
  });

  it('refuses an unshippable function at submit with ERR_UNSHIPPABLE_FUNCTION', () => {
    expect(() => client.submit(Math.max, 1, 2)).toThrowError(
      expect.objectContaining({ code: 'ERR_UNSHIPPABLE_FUNCTION' }) as Error,
    );
  });

  it('reports an unknown function in a task module with ERR_FUNCTION_NOT_FOUND', async () => {
    const ghost = (x: number): number => x;
    // Pretend it is an export of the conformance task module that does not exist there.
    const { registerTaskFunction } = await import('../../src/graph/fnref.js');
    registerTaskFunction(
      ghost,
      new URL('../conformance/tasks.ts', import.meta.url).href,
      'doesNotExist',
    );
    const error = await client.submit(ghost, 1).exception();
    expect(isBaskError(error, 'ERR_FUNCTION_NOT_FOUND')).toBe(true);
    expect((error as Error).message).toContain('doesNotExist');
  });

  it('releases the keys of a client that disconnects', async () => {
    const other = await Client.connect(address, { setAsDefault: false });
    const before = await taskCount();
    const futures = other.map(tasks.inc, [1, 2, 3], { pure: false });
    expect(await other.gather(futures)).toEqual([2, 3, 4]);
    expect(await taskCount()).toBeGreaterThan(before);
    const pending = other.submit(itasks.sleep, 5000, 1, { pure: false });
    await other.close();
    await vi.waitFor(async () => expect(await taskCount()).toBe(before), { timeout: 10_000 });
    await expect(pending.result()).rejects.toMatchObject({ code: 'ERR_CLIENT_CLOSED' });
  });

  it('refuses a peer with another protocol version, with a clear error', async () => {
    const socket = await openSocket(address);
    const reply = new Promise<unknown>((resolve) =>
      socket.onMessage((d) => resolve(decodeFrame(d))),
    );
    socket.send(encodeFrame({ type: 'hello', version: 999, role: 'client' }));
    expect(await reply).toMatchObject({ type: 'refused', code: 'ERR_PROTOCOL_VERSION' });
    socket.close();
  });
});
