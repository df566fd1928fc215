/**
 * `afterThisTurn` in Chromium (src/wire/next-turn.ts), where it has no `setImmediate` and goes
 * through a MessageChannel: callbacks run later, once each, in order; one queued from a callback
 * runs on a later turn; and a pool over it still settles every task (its batches go out per
 * turn).
 */
import { describe, expect, it } from 'vitest';
import { compute, delayed, Pool } from '../../src/index.browser.js';
import { afterThisTurn } from '../../src/wire/next-turn.js';

function turn(): Promise<void> {
  return new Promise((resolve) => afterThisTurn(resolve));
}

function inc(x: number): number {
  return x + 1;
}

describe('afterThisTurn in a browser', () => {
  it('has no setImmediate to lean on here', () => {
    expect(typeof (globalThis as { setImmediate?: unknown }).setImmediate).toBe('undefined');
  });

  it('runs callbacks after the current code, once each, in the order queued', async () => {
    const seen: string[] = [];
    afterThisTurn(() => seen.push('a'));
    afterThisTurn(() => {
      seen.push('b');
      afterThisTurn(() => seen.push('d'));
    });
    afterThisTurn(() => seen.push('c'));
    seen.push('sync');
    await turn();
    expect(seen).toEqual(['sync', 'a', 'b', 'c']);
    await turn();
    expect(seen).toEqual(['sync', 'a', 'b', 'c', 'd']);
  });

  it('lets a pool of Web Workers settle many small tasks', async () => {
    const pool = new Pool({ numWorkers: 2 });
    try {
      const tasks = Array.from({ length: 500 }, (_, i) => delayed(inc)(i));
      const [values] = await compute(tasks, { scheduler: pool });
      expect(values).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    } finally {
      await pool.close();
    }
  });
});
