/** The pool under faults: crashed workers, random kills, aborts and timeouts. Nothing hangs. */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Pool, get, isBaskError, ref, task } from '../../src/index.node.js';
import { handOver } from '../../src/wire/hand-over.js';
import { tasks } from './tasks.js';

const pools: Pool[] = [];
function newPool(numWorkers = 2): Pool {
  const pool = new Pool({ numWorkers });
  pools.push(pool);
  return pool;
}
afterAll(() => Promise.all(pools.map((p) => p.close())));

describe('pool faults', () => {
  it('replaces a worker that exits mid-task and reruns its work', async () => {
    const pool = newPool();
    const flags = new Int32Array(new SharedArrayBuffer(4 * 4));
    const graph = {
      a: task(tasks.exitOnce, flags, 0, 10),
      b: task(tasks.exitOnce, flags, 1, 20),
      c: task(tasks.add, ref('a'), ref('b')),
    };
    expect(await get(graph, 'c', { scheduler: pool })).toBe(30);
    expect(pool.stats.workersLost).toBeGreaterThanOrEqual(1);
    await vi.waitFor(() => expect(pool.workerIds).toHaveLength(2), { timeout: 20_000 });
    expect(await get({ x: task(tasks.add, 1, 2) }, 'x', { scheduler: pool })).toBe(3);
  });

  it('moves bytes handed over to their task; a rerun after their worker died fails ERR_DATA_LOST', async () => {
    const pool = newPool();
    const moved = new Uint8Array(new ArrayBuffer(1000)).fill(1);
    handOver(moved.buffer);
    expect(await get({ n: task(tasks.byteSum, moved) }, 'n', { scheduler: pool })).toBe(1000);
    expect(moved.byteLength).toBe(0); // transferred, not copied
    const kept = new Uint8Array(1000).fill(1);
    expect(await get({ n: task(tasks.byteSum, kept) }, 'n', { scheduler: pool })).toBe(1000);
    expect(kept.byteLength).toBe(1000);
    // The worker dies holding the only copy: the rerun cannot carry the bytes (an empty
    // array would give a wrong answer, 0).
    const flags = new Int32Array(new SharedArrayBuffer(4));
    const lost = new Uint8Array(new ArrayBuffer(10)).fill(2);
    handOver(lost.buffer);
    const error = await get({ n: task(tasks.byteSumAfterExit, flags, 0, lost) }, 'n', {
      scheduler: pool,
    }).catch((e: unknown) => e);
    expect(isBaskError(error, 'ERR_DATA_LOST')).toBe(true);
    expect((error as Error).message).toMatch(/^Task 'n': Bytes this task was given were moved/);
    expect(pool.stats.workersLost).toBeGreaterThanOrEqual(1);
  });

  it('recomputes results that a dead worker held', async () => {
    const pool = newPool();
    const flags = new Int32Array(new SharedArrayBuffer(4));
    // 'held' is computed, then the worker holding it (maybe) dies while running 'killer'.
    const graph: Record<string, unknown> = {
      held: task(tasks.makeArray, 10, 7),
      killer: task(tasks.exitOnce, flags, 0, 1),
      after: task(tasks.sumArrays, ref('held'), ref('held')),
      all: task(tasks.add, ref('after'), ref('killer')),
    };
    expect(await get(graph, 'all', { scheduler: pool })).toBe(14 + 20 + 1);
  });

  it('fails a task that kills three workers with ERR_KILLED_WORKER; the pool lives on', async () => {
    const pool = newPool();
    const error = await get(
      { boom: task(tasks.bomb), fine: task(tasks.add, 1, 1) },
      ['fine', 'boom'],
      { scheduler: pool },
    ).catch((e: unknown) => e);
    expect(isBaskError(error, 'ERR_KILLED_WORKER')).toBe(true);
    expect((error as Error).message).toContain("'boom'");
    expect(await get({ x: task(tasks.add, 2, 2) }, 'x', { scheduler: pool })).toBe(4);
  });

  it('blames a crash on the task that ran, not on finished ones whose results were unsent', async () => {
    const pool = newPool(1);
    const graph: Record<string, unknown> = {};
    const inputs = Array.from({ length: 300 }, (_, i) => `x-${i}`);
    inputs.forEach((key, i) => (graph[key] = task(tasks.add, i, 1)));
    graph['boom'] = task(tasks.bombAfter, ...inputs.map((k) => ref(k)));
    const error = await get(graph, 'boom', { scheduler: pool }).catch((e: unknown) => e);
    expect(isBaskError(error, 'ERR_KILLED_WORKER')).toBe(true);
    expect((error as Error).message).toContain("'boom'");
    // Exactly the three deaths 'boom' is allowed: none was blamed on an input.
    expect(pool.stats.workersLost).toBe(3);
  });

  it('survives an uncaught error in the worker global scope', async () => {
    const pool = newPool();
    const graph = {
      a: task(tasks.throwLater, 5),
      b: task(tasks.sleep, 50, 6),
      c: task(tasks.add, ref('a'), ref('b')),
    };
    expect(await get(graph, 'c', { scheduler: pool })).toBe(11);
    expect(await get({ x: task(tasks.add, 1, 1) }, 'x', { scheduler: pool })).toBe(2);
  });

  it('settles every computation with correct results while workers die at random', async () => {
    const pool = newPool(3);
    const n = 120;
    const flags = new Int32Array(new SharedArrayBuffer(4 * n));
    // A deterministic 1-in-8 of the tasks kill their worker on first run.
    const graph: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      graph[`leaf-${i}`] =
        (i * 2654435761) % 8 === 3 ? task(tasks.exitOnce, flags, i, i) : task(tasks.add, i, 0);
    }
    for (let i = 0; i < n; i += 2)
      graph[`pair-${i}`] = task(tasks.add, ref(`leaf-${i}`), ref(`leaf-${i + 1}`));
    const pairs = Array.from({ length: n / 2 }, (_, j) => `pair-${2 * j}`);
    const computations = [0, 1, 2].map(() => get(graph, pairs, { scheduler: pool }));
    const results = (await Promise.all(computations)) as number[][];
    for (const r of results) expect(r).toEqual(pairs.map((_, j) => 4 * j + 1));
    expect(pool.stats.workersLost).toBeGreaterThan(3);
  });

  it('cancels with an AbortSignal: rejects with ERR_ABORTED and drops queued tasks', async () => {
    const pool = newPool();
    const graph: Record<string, unknown> = {};
    for (let i = 0; i < 200; i++) graph[`s-${i}`] = task(tasks.sleep, 20, i);
    const controller = new AbortController();
    const sentBefore = pool.stats.tasksSent;
    const running = get(graph, Object.keys(graph), { scheduler: pool, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('user pressed stop')), 50);
    const error = await running.catch((e: unknown) => e);
    expect(isBaskError(error, 'ERR_ABORTED')).toBe(true);
    expect(((error as Error).cause as Error).message).toBe('user pressed stop');
    expect(pool.stats.tasksSent - sentBefore).toBeLessThan(200);
    expect(await get({ x: task(tasks.add, 1, 1) }, 'x', { scheduler: pool })).toBe(2);
  });

  it('stops a task past its timeout with ERR_TIMEOUT and replaces the worker', async () => {
    const pool = newPool();
    const error = await get({ hang: task(tasks.spinForever) }, 'hang', {
      scheduler: pool,
      timeout: 300,
    }).catch((e: unknown) => e);
    expect(isBaskError(error, 'ERR_TIMEOUT')).toBe(true);
    expect((error as { key?: string }).key).toBe('hang');
    expect(await get({ x: task(tasks.add, 1, 1) }, 'x', { scheduler: pool })).toBe(2);
    await vi.waitFor(() => expect(pool.workerIds).toHaveLength(2), { timeout: 20_000 });
  });

  it('rejects computations with ERR_POOL_CLOSED when the pool closes under them', async () => {
    const pool = newPool();
    const running = get({ s: task(tasks.sleep, 5000, 1) }, 's', { scheduler: pool });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await pool.close();
    const error = await running.catch((e: unknown) => e);
    expect(isBaskError(error, 'ERR_POOL_CLOSED')).toBe(true);
    await expect(get({ x: 1 }, 'x', { scheduler: pool })).rejects.toMatchObject({
      code: 'ERR_POOL_CLOSED',
    });
  });
});
