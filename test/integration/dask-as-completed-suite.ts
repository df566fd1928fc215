/**
 * dask.distributed's `distributed/tests/test_as_completed.py`, ported to bask's
 * `asCompleted`: each test named after Dask's, restated for bask's API. Runs against a real
 * cluster (dask-client.test.ts) and `Client.local` (test/pool/dask-client-local.test.ts).
 *
 * JavaScript has one way to wait (`for await`, `await ac.next()`), so Dask's sync and async
 * variants of a test are one test here; `next(ac)` is `await ac.next()`.
 */
import { describe, expect, it } from 'vitest';
import {
  AsCompleted,
  BaskError,
  Future,
  asCompleted,
  isBaskError,
  wait,
} from '../../src/index.node.js';
import { marker, release, type SuiteEnv } from './dask-client-suite.js';
import { tasks } from './dask-tasks.js';

/** Everything an AsCompleted yields, in order. */
async function drain<T>(ac: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of ac) out.push(item);
  return out;
}

/** The ports of test_as_completed.py. */
export function describeAsCompleted(name: string, env: () => SuiteEnv): void {
  describe(`${name}: dask.distributed test_as_completed.py`, () => {
    it('test_as_completed_async', async () => {
      const { client } = env();
      const x = client.submit(tasks.inc, 1);
      const y = client.submit(tasks.inc, 1);
      const z = client.submit(tasks.inc, 2);
      // Dask's private `_as_completed(fs, queue)` and `_first_completed` through the API.
      const all = await drain(asCompleted([x, y, z]));
      expect(new Set(all)).toEqual(new Set([x, y, z]));
      const first = await asCompleted([x, y, z]).next();
      expect([x, y, z]).toContain(first.value);
    });

    it('test_as_completed_timeout_async', async () => {
      const { client } = env();
      const event = marker();
      try {
        const x = client.submit(tasks.inc, 1);
        const y = client.submit(tasks.inc, 1);
        const z = client.submit(tasks.blockUntil, event, 2);
        // Milliseconds (Dask: "0.5s"). Generous, so that x and y make it on a busy machine.
        const seq = asCompleted([x, y, z], { timeout: 5_000 });
        await seq.next();
        await seq.next();
        const error = await seq.next().catch((e: unknown) => e);
        expect(isBaskError(error, 'ERR_TIMEOUT')).toBe(true);
      } finally {
        release(event);
      }
    });

    it('test_as_completed_sync', async () => {
      const { client } = env();
      const x = client.submit(tasks.inc, 1);
      const y = client.submit(tasks.inc, 2);
      const z = client.submit(tasks.inc, 1);
      const seq = asCompleted([x, y, z]);
      expect(seq.count()).toBe(3);
      expect(seq).toBeInstanceOf(AsCompleted);
      expect(new Set(await drain(seq))).toEqual(new Set([x, y, z]));
      expect(seq.count()).toBe(0);
      expect(await drain(asCompleted([]))).toEqual([]);
    });

    it('test_as_completed_with_non_futures', () => {
      // Dask raises TypeError; bask's errors are BaskErrors with a code.
      expect(() => asCompleted([1, 2, 3] as unknown as Future[])).toThrowError(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }) as Error,
      );
    });

    it('test_as_completed_add', async () => {
      const { client } = env();
      let total = 0;
      let expected = [...Array(10).keys()].reduce((a, i) => a + i + 1, 0);
      const futures = client.map(tasks.inc, [...Array(10).keys()]);
      const ac = asCompleted(futures);
      // Dask adds at random; every other result here, so the test is the same every run.
      let n = 0;
      // In a `for await` loop, TypeScript would take a thenable's value for the item: futures
      // come typed as FutureView, and `result()` gives the value.
      for await (const future of ac) {
        const result = await future.result();
        total += result;
        if (n++ % 2 === 0 && result < 100) {
          ac.add(client.submit(tasks.add, future, 10));
          expected += result + 10;
        }
      }
      expect(total).toBe(expected);
    });

    it('test_as_completed_update', async () => {
      const { client } = env();
      let total = 0;
      let todo = [...Array(10).keys()];
      const expected = todo.reduce((a, i) => a + i + 1, 0);
      const ac = asCompleted<number>([]);
      while (todo.length > 0 || !ac.isEmpty()) {
        if (todo.length > 0) {
          const work = todo.slice(0, 4);
          todo = todo.slice(4);
          ac.update(client.map(tasks.inc, work));
        }
        const batch = await ac.nextBatch(true);
        total += (await client.gather(batch)).reduce((a, b) => a + b, 0);
      }
      expect(total).toBe(expected);
    });

    it('test_as_completed_repeats', async () => {
      const { client } = env();
      const ac = asCompleted<number>();
      const x = client.submit(tasks.inc, 1);
      ac.add(x);
      ac.add(x);
      expect((await ac.next()).value).toBe(x);
      expect((await ac.next()).value).toBe(x);
      expect((await ac.next()).done).toBe(true);
      ac.add(x);
      expect((await ac.next()).value).toBe(x);
    });

    it('test_as_completed_is_empty', async () => {
      const { client } = env();
      const ac = asCompleted<number>();
      expect(ac.isEmpty()).toBe(true);
      const x = client.submit(tasks.inc, 1);
      ac.add(x);
      expect(ac.isEmpty()).toBe(false);
      expect((await ac.next()).value).toBe(x);
      expect(ac.isEmpty()).toBe(true);
    });

    it('test_as_completed_cancel', async () => {
      const { client } = env();
      const x = client.submit(tasks.inc, 9001);
      const y = client.submit(tasks.inc, 9001, { pure: false });
      const ac = asCompleted([x, y]);
      x.cancel();
      const seen = await drain(ac);
      expect(new Set(seen)).toEqual(new Set([x, y]));
      expect(ac.hasReady()).toBe(false);
      const res = await drain(asCompleted([x, y, x]));
      expect(res).toHaveLength(3);
      expect(new Set(res)).toEqual(new Set([x, y]));
      expect(res.filter((f) => f === x)).toHaveLength(2);
    });

    it('test_as_completed_cancel_last', async () => {
      const { client } = env();
      const event = marker();
      try {
        const w = client.submit(tasks.blockUntil, event, 0.3);
        const x = client.submit(tasks.inc, 1);
        const y = client.submit(tasks.blockUntil, event, 1.3);
        const ac = asCompleted([x, y]);
        // Dask cancels from the event loop after 0.1 s; here once x is done.
        await x;
        w.cancel();
        y.cancel();
        expect(new Set(await drain(ac))).toEqual(new Set([x, y]));
      } finally {
        release(event);
      }
    });

    it('test_async_for_py2_equivalent', async () => {
      const { client } = env();
      const futures = client.map(tasks.slowinc, [1, 2, 3], [10, 10, 10], { pure: false });
      const [x, y, z] = await drain(asCompleted(futures));
      expect([x?.done(), y?.done(), z?.done()]).toEqual([true, true, true]);
      expect(x?.key).not.toBe(y?.key);
    });

    it('test_as_completed_error_async', async () => {
      const { client } = env();
      const x = client.submit(tasks.throws, 1);
      const y = client.submit(tasks.inc, 1);
      const result = new Set(await drain(asCompleted([x, y])));
      expect(result).toEqual(new Set([x, y]));
      expect(x.status).toBe('error');
      expect(y.status).toBe('finished');
    });

    it('test_as_completed_with_results', async () => {
      const { client } = env();
      const x = client.submit(tasks.throws, 9100);
      const y = client.submit(tasks.inc, 9101);
      const z = client.submit(tasks.inc, 9102);
      const ac = asCompleted([x, y, z], { withResults: true });
      y.cancel();
      const seen: [Future<unknown>, unknown][] = [];
      const error = await (async () => {
        for await (const pair of ac) seen.push(pair);
      })().catch((e: unknown) => e);
      // The failed future's error is thrown; the cancelled one comes with its error.
      expect(((error as Error).cause as Error).message).toBe('hello!');
      const cancelled = seen.find(([f]) => f === y);
      expect(isBaskError(cancelled?.[1], 'ERR_CANCELLED')).toBe(true);
    });

    it('test_as_completed_with_results_no_raise', async () => {
      const { client } = env();
      const x = client.submit(tasks.throws, 1, { key: 'no-raise-x' });
      const y = client.submit(tasks.inc, 9201, { key: 'no-raise-y' });
      const z = client.submit(tasks.inc, 1, { key: 'no-raise-z' });
      const ac = asCompleted([x, y, z], { withResults: true, raiseErrors: false });
      y.cancel();
      const res = await drain(ac);
      const dd = new Map(res.map(([f, r]) => [f, r]));
      expect(new Set(dd.keys())).toEqual(new Set([x, y, z]));
      expect([x.status, y.status, z.status]).toEqual(['error', 'cancelled', 'finished']);
      expect(isBaskError(dd.get(y), 'ERR_CANCELLED')).toBe(true);
      // Dask gives (type, exception, traceback); bask the error itself.
      expect(dd.get(x)).toBeInstanceOf(BaskError);
      expect(((dd.get(x) as Error).cause as Error).message).toBe('hello!');
      expect(dd.get(z)).toBe(2);
    });

    it('test_str', async () => {
      const { client } = env();
      const event = marker();
      try {
        const futures = client.map(tasks.blockUntil, [event, event, event], [0, 1, 2]);
        const ac = asCompleted(futures);
        expect(String(ac)).toContain('waiting=3');
        expect(String(ac)).toContain('done=0');
        release(event);
        await ac.next();
        await wait(futures);
        expect(String(ac)).toContain('done=2');
      } finally {
        release(event);
      }
    });

    it('test_clear', async () => {
      const { client } = env();
      const futures = client.map(tasks.inc, [0, 1, 2]);
      const ac = asCompleted(futures);
      await wait(futures);
      ac.clear();
      expect((await ac.next()).done).toBe(true);
    });
  });

  describe(`${name}: dask.distributed test_client.py (as_completed)`, () => {
    it('test_as_completed_async_for', async () => {
      const { client } = env();
      const futures = client.map(tasks.inc, [...Array(10).keys()]);
      const results: number[] = [];
      const ac = asCompleted(futures);
      for await (const future of ac) results.push(await future.result());
      expect(new Set(results)).toEqual(new Set([...Array(10).keys()].map((i) => i + 1)));
    });

    it('test_as_completed_async_for_results', async () => {
      const { client } = env();
      const futures = client.map(tasks.inc, [...Array(10).keys()]);
      const results: unknown[] = [];
      for await (const [, result] of asCompleted(futures, { withResults: true }))
        results.push(result);
      expect(new Set(results)).toEqual(new Set([...Array(10).keys()].map((i) => i + 1)));
    });

    it('test_as_completed_async_for_cancel', async () => {
      const { client } = env();
      const event = marker();
      try {
        const x = client.submit(tasks.inc, 1);
        const y = client.submit(tasks.blockUntil, event, 2);
        const ac = asCompleted([x, y]);
        await x;
        y.cancel();
        expect(await drain(ac)).toEqual([x, y]);
      } finally {
        release(event);
      }
    });
  });
}
