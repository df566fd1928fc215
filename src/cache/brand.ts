/**
 * What the package entry knows about result caches without loading them: the `cache` option's
 * check and which cache a run uses. The cache itself (result-cache.ts, idb-keyval, the cache
 * tokens) loads with the first run that uses one, as Dask imports heavy modules inside the
 * function that needs them; most computations never do.
 *
 * A ResultCache is recognised by a brand (a symbol only result-cache.ts sets), so checking an
 * option does not need the class.
 */
import { BaskError } from '../errors.js';
import type { ResultCache } from './result-cache.js';

/** `'indexeddb'` (the default cache), a ResultCache, or false (no cache). */
export type CacheOption = 'indexeddb' | ResultCache | false;

/** The brand every ResultCache carries. */
export const RESULT_CACHE: unique symbol = Symbol('bask.ResultCache');

/** True for ResultCache objects. */
export function isResultCache(value: unknown): value is ResultCache {
  return (
    value !== null &&
    typeof value === 'object' &&
    (value as { [RESULT_CACHE]?: unknown })[RESULT_CACHE] === true
  );
}

/** Throws ERR_INVALID_ARGUMENT unless `value` is a cache option. */
export function checkCacheOption(value: unknown): asserts value is CacheOption {
  if (value === 'indexeddb' || value === false || isResultCache(value)) return;
  throw new BaskError(
    'ERR_INVALID_ARGUMENT',
    `cache must be 'indexeddb', a ResultCache or false, got ${String(value)}`,
  );
}

/**
 * The cache a run uses, unloaded: the call's option (false: none), else the scheduler's
 * (a Client's `resultCache`).
 */
export function cacheInPlay(
  option: CacheOption | undefined,
  scheduler: object,
): 'indexeddb' | ResultCache | undefined {
  if (option !== undefined) return option === false ? undefined : option;
  const own = (scheduler as { resultCache?: unknown }).resultCache;
  return isResultCache(own) ? own : undefined;
}
