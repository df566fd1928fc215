/**
 * The IndexedDB result cache in real Chromium: `compute(..., { cache })` computes a result
 * once and finds it again under a new (impure) key, Files are matched by content, the cache
 * stays within its byte bound (least recently used out first), clears, and works with the
 * Web Worker pool and a ProgressBar-like consumer of hooks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  ResultCache,
  clearCache,
  compute,
  defaultResultCache,
  delayed,
  isBaskError,
  type Callbacks,
} from '../../src/index.browser.js';
import { tasks } from '../conformance/tasks.js';

let calls = 0;
function square(x: number): number {
  calls++;
  return x * x;
}
async function textLength(file: Blob): Promise<number> {
  calls++;
  return (await file.text()).length;
}
function filled(n: number, value: number): Float64Array {
  calls++;
  return new Float64Array(n).fill(value);
}

const caches: ResultCache[] = [];
function freshCache(maxBytes?: number): ResultCache {
  const name = `bask-cache-test-${Math.random().toString(36).slice(2)}`;
  const cache = new ResultCache(maxBytes === undefined ? { name } : { name, maxBytes });
  caches.push(cache);
  return cache;
}

afterEach(async () => {
  for (const c of caches.splice(0)) {
    await c.clear();
    indexedDB.deleteDatabase(c.name);
  }
  calls = 0;
});

describe('cache: indexeddb', () => {
  it('computes once, then finds the result under a new key', async () => {
    const cache = freshCache();
    const first = delayed(square)(7);
    const again = delayed(square)(7); // impure: another key
    expect(first.key).not.toBe(again.key);
    expect(await compute(first, { scheduler: 'sync', cache })).toEqual([49]);
    expect(await compute(again, { scheduler: 'sync', cache })).toEqual([49]);
    expect(calls).toBe(1);
    expect(cache.hits).toBe(1);
    // Another cache object on the same database (a reloaded page) finds it too.
    const reloaded = new ResultCache({ name: cache.name });
    expect(await compute(delayed(square)(7), { scheduler: 'sync', cache: reloaded })).toEqual([49]);
    expect(calls).toBe(1);
    expect(await compute(delayed(square)(8), { scheduler: 'sync', cache })).toEqual([64]);
    expect(calls).toBe(2);
  });

  it('matches Files by content (and name), not by object', async () => {
    const cache = freshCache();
    const run = (file: File): Promise<unknown> =>
      compute(delayed(textLength)(file), { scheduler: 'sync', cache });
    expect(await run(new File(['a,b\n1,2\n'], 'day.csv'))).toEqual([8]);
    expect(await run(new File(['a,b\n1,2\n'], 'day.csv'))).toEqual([8]);
    expect(calls).toBe(1);
    expect(await run(new File(['a,b\n1,2\n3,4\n'], 'day.csv'))).toEqual([12]);
    expect(await run(new File(['a,b\n1,2\n'], 'other.csv'))).toEqual([8]);
    expect(calls).toBe(3);
  });

  it('keeps within maxBytes, least recently used out first', async () => {
    const cache = freshCache(3 * 8200);
    for (let i = 0; i < 5; i++)
      await compute(delayed(filled)(1000, i), { scheduler: 'sync', cache });
    const stats = await cache.stats();
    expect(stats.entries).toBe(3);
    expect(stats.bytes).toBeLessThanOrEqual(3 * 8200);
    calls = 0;
    const [newest] = await compute(delayed(filled)(1000, 4), { scheduler: 'sync', cache });
    expect(newest).toEqual(new Float64Array(1000).fill(4));
    expect(calls).toBe(0);
    await compute(delayed(filled)(1000, 0), { scheduler: 'sync', cache });
    expect(calls).toBe(1);
  });

  it('clears', async () => {
    const cache = freshCache();
    await compute(delayed(square)(3), { scheduler: 'sync', cache });
    await cache.clear();
    expect(await cache.stats()).toEqual({ entries: 0, bytes: 0 });
    await compute(delayed(square)(3), { scheduler: 'sync', cache });
    expect(calls).toBe(2);
  });

  it("caches the pool's results, with 'indexeddb' as the default cache", async () => {
    await clearCache();
    const shared = defaultResultCache();
    const hits = shared.hits;
    const total = delayed(tasks.sum)([delayed(tasks.inc)(1), delayed(tasks.inc)(2)]);
    expect(await compute(total, { scheduler: 'threads', cache: 'indexeddb' })).toEqual([5]);
    const seen: string[] = [];
    const hooks: Callbacks = {
      start: (e) => seen.push(`start ${e.ntasks}`),
      finish: () => seen.push('finish'),
    };
    const again = delayed(tasks.sum)([delayed(tasks.inc)(1), delayed(tasks.inc)(2)]);
    expect(
      await compute(again, { scheduler: 'threads', cache: 'indexeddb', callbacks: [hooks] }),
    ).toEqual([5]);
    expect(shared.hits).toBe(hits + 1);
    expect(seen).toEqual(['start 0', 'finish']);
    await clearCache();
    expect((await shared.stats()).entries).toBe(0);
  });

  it('refuses what is not a cache', async () => {
    const error = await compute(delayed(square)(1), {
      scheduler: 'sync',
      cache: 'memory' as never,
    }).catch((e: unknown) => e);
    expect(isBaskError(error, 'ERR_INVALID_ARGUMENT')).toBe(true);
  });
});
