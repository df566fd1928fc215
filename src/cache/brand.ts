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

/** The brand every ResultCache carries. */
export const RESULT_CACHE: unique symbol = Symbol('bask.ResultCache');

/**
 * A ResultCache as the `cache` option names it: the class (result-cache.ts) implements this, so
 * option types need not load it. Only that class carries the brand.
 */
export interface ResultCacheLike {
  readonly [RESULT_CACHE]: true;
  readonly name: string;
  readonly maxBytes: number;
  /** The cached results among `tokens`, decoded, by token. */
  get(tokens: readonly string[]): Promise<Map<string, unknown>>;
  /** Keeps these results (by token), evicting the least recently used past `maxBytes`. */
  set(entries: readonly (readonly [string, unknown])[]): Promise<void>;
  /** How many results the cache holds, and their bytes. */
  stats(): Promise<{ entries: number; bytes: number }>;
  /** Forgets every result. */
  clear(): Promise<void>;
}

/** `'indexeddb'` (the default cache), a ResultCache, or false (no cache). */
export type CacheOption = 'indexeddb' | ResultCacheLike | false;

/** True for ResultCache objects. */
export function isResultCache(value: unknown): value is ResultCacheLike {
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
): 'indexeddb' | ResultCacheLike | undefined {
  if (option !== undefined) return option === false ? undefined : option;
  const own = (scheduler as { resultCache?: unknown }).resultCache;
  return isResultCache(own) ? own : undefined;
}
