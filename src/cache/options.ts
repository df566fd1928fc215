/**
 * The `cache` option of `compute`/`get` and of `Client.connect`: which ResultCache a run
 * uses, if any. Precedence: the call's option (`false` turns caching off), then the cache of
 * the Client the run goes to (see `cacheInPlay` in brand.ts, which decides without loading
 * the cache).
 */
import { defaultResultCache, type ResultCache } from './result-cache.js';
import type { CacheOption } from './brand.js';

export { checkCacheOption, type CacheOption } from './brand.js';

/** The ResultCache an option names. */
export function resultCacheOf(option: CacheOption | undefined): ResultCache | undefined {
  if (option === undefined || option === false) return undefined;
  // Only ResultCache carries the brand that `checkCacheOption` looks for.
  return option === 'indexeddb' ? defaultResultCache() : (option as ResultCache);
}
