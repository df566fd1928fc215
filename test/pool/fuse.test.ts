/**
 * Pools fuse chains and narrow reductions by default (graph/fuse.ts): the seed's 8 tasks per
 * file run as 3; values, errors and diagnostics stay coherent with what ran.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Pool, compute, get, isBaskError, ref, task } from '../../src/index.node.js';
import { buildSpreads } from '../../src/seed/index.js';
import { generateStocks } from '../../src/seed/generate.js';
import type { StartEvent, TaskEndEvent } from '../../src/hooks.js';
import { tasks } from './tasks.js';

const pool = new Pool({ numWorkers: 2 });
afterAll(() => pool.close());

describe('pool: fusion by default', () => {
  it("runs the seed's files as 3 tasks each, with the sync scheduler's values", async () => {
    const files = generateStocks({ days: 6 }).map(({ text }) => new TextEncoder().encode(text));
    const g = buildSpreads(files);
    const starts: StartEvent[] = [];
    const ends: TaskEndEvent[] = [];
    const callbacks = [
      { start: (e: StartEvent) => starts.push(e), taskEnd: (e: TaskEndEvent) => ends.push(e) },
    ];
    const [spreads, days] = await compute(g.spreads, g.days, { scheduler: pool, callbacks });
    expect(starts[0]?.ntasks).toBe(3 * files.length);
    expect(ends).toHaveLength(3 * files.length);
    const keys = new Set(ends.map((e) => e.key));
    for (let i = 0; i < files.length; i++) {
      expect(keys.has(g.spreads[i]!.key)).toBe(true);
      expect(keys.has(g.days[i]!.key)).toBe(true);
    }
    const plain = await compute(g.spreads, g.days, { scheduler: 'sync' });
    expect([spreads, days]).toEqual(plain);
    // fuse: false runs every task as recorded.
    const unfused: TaskEndEvent[] = [];
    await compute(g.spreads, g.days, {
      scheduler: pool,
      fuse: false,
      callbacks: [{ taskEnd: (e: TaskEndEvent) => unfused.push(e) }],
    });
    expect(unfused).toHaveLength(8 * files.length);
  });

  it('names the failing branch of a fused reduction, as the sync scheduler does', async () => {
    const graph = {
      df: task(tasks.makeArray, 0, 1),
      empty: task(tasks.firstOf, ref('df')), // an empty array's first value: undefined
      bad: task(tasks.scale, ref('empty'), 2), // reads the length of undefined
      good: task(tasks.firstOf, ref('df')),
      out: task(tasks.add, ref('bad'), ref('good')),
    };
    const ends: TaskEndEvent[] = [];
    const error = await get(graph, 'out', {
      scheduler: pool,
      callbacks: [{ taskEnd: (e: TaskEndEvent) => ends.push(e) }],
    }).catch((e: unknown) => e);
    expect(isBaskError(error, 'ERR_TASK_FAILED')).toBe(true);
    expect((error as { key?: string }).key).toBe('bad');
    expect((error as Error).message).toContain("Task 'bad' failed: TypeError");
    // What ran: the array, then one task holding the rest, which failed.
    expect(ends.map((e) => e.key).sort()).toEqual(['df', 'out']);
    expect(ends.find((e) => e.key === 'out')?.error).toBeDefined();
    const sync = await get(graph, 'out', { scheduler: 'sync' }).catch((e: unknown) => e);
    expect((sync as { key?: string }).key).toBe('bad');
  });
});
