/** The worker pool in Node: locality, zero-copy transfers, registered types, batching, hooks. */
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  Pool,
  Profiler,
  compute,
  defaultPool,
  delayed,
  get,
  isBaskError,
  ref,
  task,
  type TaskEndEvent,
} from '../../src/index.node.js';
import { viewGraph } from '../../src/graph/analyze.js';
import { prepareGraph } from '../../src/graph/prepare.js';
import { Point } from './point.js';
import { tasks } from './tasks.js';

const pool = new Pool({ numWorkers: 2 });
afterAll(async () => {
  await pool.close();
  await defaultPool.close();
});

describe('pool: data stays where it was made', () => {
  it('runs a chain on one worker and returns only the final result', async () => {
    const before = { ...pool.stats };
    const graph = {
      a: task(tasks.makeArray, 1000, 1),
      b: task(tasks.scale, ref('a'), 2),
      c: task(tasks.scale, ref('b'), 3),
      d: task(tasks.firstOf, ref('c')),
    };
    expect(await get(graph, 'd', { scheduler: pool, fuse: false })).toBe(6);
    expect(pool.stats.fetches - before.fetches).toBe(0);
    expect(pool.stats.valuesReturned - before.valuesReturned).toBe(1);
    expect(pool.stats.gathers - before.gathers).toBe(0);
  });

  it('moves a 100 MB Float64Array between workers without copying it', async () => {
    const n = 12_500_000; // 100 MB
    const before = await pool.workerStats();
    const graph = {
      left: task(tasks.makeArray, n, 1),
      right: task(tasks.makeArray, n, 2),
      both: task(tasks.sumArrays, ref('left'), ref('right')),
    };
    expect(await get(graph, 'both', { scheduler: pool })).toBe(2 * n + 3 * Math.ceil(n / 4096));
    const after = await pool.workerStats();
    const moved = Object.keys(after).reduce(
      (s, id) => s + after[id]!.bytesMoved - (before[id]?.bytesMoved ?? 0),
      0,
    );
    const copied = Object.keys(after).reduce(
      (s, id) => s + after[id]!.bytesCopied - (before[id]?.bytesCopied ?? 0),
      0,
    );
    expect(moved).toBeGreaterThanOrEqual(8 * n);
    expect(copied).toBeLessThan(1_000_000);
  });

  it('forgets a delivered key while the rest of its run still runs', async () => {
    const graph = {
      quick: task(tasks.sleep, 0, 1),
      slow: task(tasks.sleep, 1000, 2),
    };
    const run = get(graph, ['quick', 'slow'], { scheduler: pool });
    await vi.waitFor(() => expect(pool.knows('slow')).toBe(true));
    await vi.waitFor(() => expect(pool.knows('quick')).toBe(false), { timeout: 5000 });
    expect(pool.knows('slow')).toBe(true);
    expect(await run).toEqual([1, 2]);
  });

  it('copies a value that is still needed where it is', async () => {
    const before = await pool.workerStats();
    const graph = {
      base: task(tasks.makeArray, 1000, 1),
      other: task(tasks.makeArray, 1000, 2),
      x: task(tasks.sumArrays, ref('base'), ref('other')),
      y: task(tasks.sumArrays, ref('other'), ref('base')),
    };
    expect(await get(graph, ['x', 'y', 'base'], { scheduler: pool })).toEqual([
      2003,
      2003,
      new Float64Array(1000).fill(1),
    ]);
    const after = await pool.workerStats();
    const copied = Object.keys(after).reduce(
      (s, id) => s + after[id]!.bytesCopied - (before[id]?.bytesCopied ?? 0),
      0,
    );
    expect(copied).toBeGreaterThan(0);
  });
});

describe('pool: registered types', () => {
  it('delivers instances of registered classes to other workers and to the caller', async () => {
    const graph = {
      p: task(tasks.makePoint, 3, 4),
      q: task(tasks.makePoint, 6, 8),
      dp: task(tasks.describePoint, ref('p')),
      dq: task(tasks.describePoint, ref('q')),
    };
    const [p, dp, dq] = (await get(graph, ['p', 'dp', 'dq'], { scheduler: pool })) as [
      Point,
      string,
      string,
    ];
    expect(p).toBeInstanceOf(Point);
    expect(p.norm()).toBe(5);
    expect(dp).toBe('Point(3,4) norm=5');
    expect(dq).toBe('Point(6,8) norm=10');
  });
});

describe('pool: messages', () => {
  it('batches tiny tasks: far fewer messages than tasks', async () => {
    const graph: Record<string, unknown> = {};
    for (let i = 0; i < 5000; i++) graph[`t-${i}`] = task(tasks.add, i, 1);
    const before = pool.stats.batches;
    const keys = Object.keys(graph);
    const results = (await get(graph, keys, { scheduler: pool })) as number[];
    expect(results[4999]).toBe(5000);
    expect(pool.stats.batches - before).toBeLessThan(500);
  });

  it('sends back the results of quick async tasks together, not one message each', async () => {
    const graph: Record<string, unknown> = {};
    for (let i = 0; i < 2000; i++) graph[`a-${i}`] = task(tasks.addAsync, i, 1);
    const before = pool.stats.resultMessages;
    const results = (await get(graph, Object.keys(graph), { scheduler: pool })) as number[];
    expect(results[1999]).toBe(2000);
    expect(pool.stats.resultMessages - before).toBeLessThan(200);
  });

  it('fires hooks with worker ids; the profiler sees every task on the pool workers', async () => {
    const profiler = new Profiler();
    const ends: TaskEndEvent[] = [];
    const graph: Record<string, unknown> = {};
    for (let i = 0; i < 20; i++) graph[`s-${i}`] = task(tasks.sleep, 5, i);
    await get(graph, Object.keys(graph), {
      scheduler: pool,
      callbacks: [profiler, { taskEnd: (e) => ends.push(e) }],
    });
    expect(ends).toHaveLength(20);
    expect(new Set(ends.map((e) => e.worker))).toEqual(new Set(pool.workerIds));
    expect(profiler.results).toHaveLength(20);
    for (const r of profiler.results) expect(r.end).toBeGreaterThanOrEqual(r.start);
  });
});

describe('pool: function shipping', () => {
  it("passes a File to a worker as a File: its name, type and bytes (Node's clone drops the name)", async () => {
    const file = new File(['a,b\n1,2\n'], 'prices.csv', { type: 'text/csv', lastModified: 42 });
    const describe = async (f: File): Promise<string> =>
      `${f.name} ${f.type} ${f.lastModified} ${await f.text()}`;
    expect(await get({ a: task(describe, file) }, 'a', { scheduler: pool })).toBe(
      'prices.csv text/csv 42 a,b\n1,2\n',
    );
  });

  it('ships self-contained functions as source', async () => {
    const square = (x: number): number => x * x;
    expect(await get({ a: task(square, 7) }, 'a', { scheduler: pool })).toBe(49);
  });

  it('fails a closure over a local variable with ERR_UNSHIPPABLE_FUNCTION naming the variable', async () => {
    const offset = 10;
    const shifted = (x: number): number => x + offset;
    const error = await get({ a: task(shifted, 1) }, 'a', { scheduler: pool }).catch(
      (e: unknown) => e,
    );
    expect(isBaskError(error, 'ERR_UNSHIPPABLE_FUNCTION')).toBe(true);
    expect((error as Error).message).toContain("'shifted'");
    expect((error as Error).message).toContain("'offset'");
    expect((error as Error).message).toContain('defineTasks');
  });

  it('fails a bound or native function with ERR_UNSHIPPABLE_FUNCTION before sending it', async () => {
    const bound = tasks.add.bind(null, 1);
    const error = await get({ a: task(bound, 1) }, 'a', { scheduler: pool }).catch(
      (e: unknown) => e,
    );
    expect(isBaskError(error, 'ERR_UNSHIPPABLE_FUNCTION')).toBe(true);
    expect((error as { key?: string }).key).toBe('a');
    const native = await get({ m: task(Math.max, 1, 2) }, 'm', { scheduler: pool }).catch(
      (e: unknown) => e,
    );
    expect(isBaskError(native, 'ERR_UNSHIPPABLE_FUNCTION')).toBe(true);
  });

  it('sends a function with the next task when the first task naming it could not be sent', async () => {
    // Regression: the function was marked as sent although its task (a native callback in
    // its args) never went, and the next task failed with ERR_FUNCTION_NOT_FOUND.
    const kind = (x: unknown): string => typeof x;
    const small = new Pool({ numWorkers: 1 });
    try {
      const error = await get({ a: task(kind, Math.max) }, 'a', { scheduler: small }).catch(
        (e: unknown) => e,
      );
      expect(isBaskError(error, 'ERR_UNSHIPPABLE_FUNCTION')).toBe(true);
      expect(await get({ b: task(kind, 1) }, 'b', { scheduler: small })).toBe('number');
    } finally {
      await small.close();
    }
  });
});

describe('pool: default scheduler', () => {
  it("'threads' and 'processes' run on the shared pool, sized by numWorkers", async () => {
    const names = Array.from({ length: 8 }, (_, i) => delayed(tasks.sleep)(5, i));
    const [threads] = await compute(names, { scheduler: 'threads', numWorkers: 2 });
    expect(threads).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const [processes] = await compute(names, { scheduler: 'processes', numWorkers: 2 });
    expect(processes).toEqual(threads);
    expect(defaultPool.pool(2).workerIds).toHaveLength(2);
  });
});

describe('pool: values come back in the shape asked for', () => {
  it('gives nested, repeated and reordered keys their values', async () => {
    const graph = { x: task(tasks.add, 0, 1), y: task(tasks.add, 1, 1), z: task(tasks.add, 1, 2) };
    expect(await get(graph, [['z', 'x'], 'y', ['x', ['z']]], { scheduler: pool })).toEqual([
      [3, 1],
      2,
      [1, [3]],
    ]);
    const a = delayed(tasks.add)(1, 1);
    const b = delayed(tasks.add)(a, 1);
    expect(await compute({ b, a }, [a, b, a], { scheduler: pool })).toEqual([
      { b: 3, a: 2 },
      [2, 3, 2],
    ]);
  });

  it('returns a key another client already holds, with the new ones', async () => {
    const session = await pool.openSession({ report: () => undefined, closed: () => undefined });
    try {
      const held = { old: task(tasks.add, 20, 1) };
      await pool.sessionEvent({
        type: 'graph-submitted',
        client: session,
        batch: prepareGraph(viewGraph(held), ['old']),
        wanted: ['old'],
      });
      await vi.waitFor(() => expect(pool.knows('old')).toBe(true));
      const graph = { ...held, fresh: task(tasks.add, ref('old'), 1) };
      // 'old' keeps the rank its first client's batch gave it: found by key.
      expect(await get(graph, ['fresh', 'old'], { scheduler: pool })).toEqual([22, 21]);
    } finally {
      pool.closeSession(session);
    }
  });
});
