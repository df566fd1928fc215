/**
 * The `cache` option of `compute`/`get` and of `Client.connect`: which ResultCache a run
 * uses, if any. Precedence: the call's option (`false` turns caching off), then the cache of
 * the Client the run goes to.
 */
import { BaskError } from '../errors.js';
import { ResultCache, defaultResultCache } from './result-cache.js';

/** `'indexeddb'` (the default cache), a ResultCache, or false (no cache). */
export type CacheOption = 'indexeddb' | ResultCache | false;

/** Throws ERR_INVALID_ARGUMENT unless `value` is a cache option. */
export function checkCacheOption(value: unknown): asserts value is CacheOption {
  if (value === 'indexeddb' || value === false || value instanceof ResultCache) return;
  throw new BaskError(
    'ERR_INVALID_ARGUMENT',
    `cache must be 'indexeddb', a ResultCache or false, got ${String(value)}`,
  );
}

/** The ResultCache an option names. */
export function resultCacheOf(option: CacheOption | undefined): ResultCache | undefined {
  if (option === undefined || option === false) return undefined;
  return option === 'indexeddb' ? defaultResultCache() : option;
}

/** The cache for a run: the call's option, else the scheduler's (a Client's `cache`). */
export function resultCacheFor(
  option: CacheOption | undefined,
  scheduler: object,
): ResultCache | undefined {
  if (option !== undefined) return resultCacheOf(option);
  const own = (scheduler as { resultCache?: unknown }).resultCache;
  return own instanceof ResultCache ? own : undefined;
}
