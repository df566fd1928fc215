/**
 * Running a computation through a result cache: the requested keys whose results are cached
 * come from it, the others are computed by the scheduler (which culls the graph to what they
 * need) and then stored. Only requested results are cached: intermediates never reach the
 * caller, they stay on the workers.
 *
 * Diagnostics still see one computation: when everything was cached, a `start` with no tasks
 * and a `finish` are emitted here, so progress bars complete.
 *
 * This module and the cache behind it load on demand: `run` in api.ts imports it only when a
 * cache is in play (brand.ts).
 */
import { abortedError } from '../errors.js';
import { emit, now } from '../hooks.js';
import type { RunRequest, Scheduler } from '../scheduler.js';
import { cacheTokens } from './cache-keys.js';
import { resultCacheOf } from './options.js';
import type { ResultCacheLike } from './brand.js';
import type { ResultCache } from './result-cache.js';

/** Runs `request` on `scheduler`, reusing and filling `option`'s cache. */
export async function runCached(
  scheduler: Scheduler,
  request: RunRequest,
  option: 'indexeddb' | ResultCacheLike,
): Promise<Map<string, unknown>> {
  const started = now();
  const cache = resultCacheOf(option) as ResultCache;
  const tokens = await cacheTokens(request.graph, request.keys);
  const tokenOf = (key: string): string => tokens.get(key) ?? `external:${key}`;
  const found = await cache.get([...new Set(request.keys.map(tokenOf))]);
  if (request.signal?.aborted === true) throw abortedError(request.signal.reason);
  const results = new Map<string, unknown>();
  const missing: string[] = [];
  for (const key of request.keys) {
    const token = tokenOf(key);
    if (found.has(token)) results.set(key, found.get(token));
    else missing.push(key);
  }
  if (missing.length === 0) {
    const { callbacks } = request;
    emit(callbacks, 'start', {
      scheduler: scheduler.schedulerName,
      ntasks: 0,
      keys: request.keys,
      time: started,
    });
    emit(callbacks, 'finish', {
      scheduler: scheduler.schedulerName,
      time: now(),
      elapsed: now() - started,
    });
    return results;
  }
  const computed = await scheduler.run({ ...request, keys: missing });
  for (const key of missing) results.set(key, computed.get(key));
  await cache.set(missing.map((key) => [tokenOf(key), computed.get(key)] as const));
  return results;
}
