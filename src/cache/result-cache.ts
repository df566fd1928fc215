/**
 * A cache of computed results in IndexedDB (idb-keyval), so that a page computing the same
 * thing again (after a reload, say) gets the results without running anything.
 *
 * Layout: one object store; `v:<token>` holds a result as the workers encode values (plain
 * data, typed arrays, markers for registered types: what structured clone keeps), `i:<token>`
 * its size and last use. Tokens come from cache-keys.ts (content-based, not graph keys).
 *
 * Policy: bounded by bytes (estimated with `sizeof`), least recently used out first; a result
 * larger than the whole bound, or one that cannot be stored (a function, a quota error), is
 * simply not cached. Every failure of IndexedDB degrades to "not cached", never to an error.
 */
import {
  clear,
  createStore,
  delMany,
  getMany,
  keys as storeKeys,
  setMany,
  type UseStore,
} from 'idb-keyval';
import { BaskError } from '../errors.js';
import { RESULT_CACHE, type ResultCacheLike } from './brand.js';
import { importTaskModule } from '../worker/builtins.js';
import { CloneEncoder, decodeWithImports } from '../wire/clone.js';
import { sizeof } from '../worker/sizeof.js';

/** Options of a {@link ResultCache}. */
export interface ResultCacheOptions {
  /** The IndexedDB database (default 'bask-cache'). */
  name?: string;
  /** Most bytes kept (default 256 MiB); the least recently used results go first. */
  maxBytes?: number;
}

interface IndexEntry {
  bytes: number;
  used: number;
}

/**
 * Results of deterministic computations kept in IndexedDB, bounded (LRU by bytes).
 *
 * ```ts
 * const [spread] = await compute(x, { cache: 'indexeddb' });          // the default cache
 * const cache = new ResultCache({ maxBytes: 50e6 });
 * await compute(x, { cache });                                          // this one
 * await cache.clear();
 * ```
 */
export class ResultCache implements ResultCacheLike {
  /** The brand the `cache` option's check looks for (brand.ts), without this module. */
  readonly [RESULT_CACHE] = true;
  readonly name: string;
  readonly maxBytes: number;
  /** Results found and not found since this cache object was made. */
  hits = 0;
  misses = 0;
  private store: UseStore | undefined;

  constructor(options: ResultCacheOptions = {}) {
    this.name = options.name ?? 'bask-cache';
    this.maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
    if (!(this.maxBytes >= 0))
      throw new BaskError(
        'ERR_INVALID_ARGUMENT',
        `ResultCache: maxBytes must be a number of bytes, got ${String(options.maxBytes)}`,
      );
  }

  /** The cached results among `tokens`, decoded, by token. */
  async get(tokens: readonly string[]): Promise<Map<string, unknown>> {
    const found = new Map<string, unknown>();
    if (tokens.length === 0) return found;
    const store = this.open();
    let stored: unknown[];
    try {
      stored = await getMany(
        tokens.map((t) => `v:${t}`),
        store,
      );
    } catch {
      stored = [];
    }
    const now = Date.now();
    const touched: [string, IndexEntry][] = [];
    for (let i = 0; i < tokens.length; i++) {
      const value = stored[i];
      const token = tokens[i] as string;
      if (value === undefined) {
        this.misses++;
        continue;
      }
      try {
        found.set(token, await decodeWithImports(value, importTaskModule));
        this.hits++;
        touched.push([`i:${token}`, { bytes: sizeof(value), used: now }]);
      } catch {
        this.misses++; // a type that no longer decodes: recompute it
      }
    }
    if (touched.length > 0) await setMany(touched, store).catch(() => undefined);
    return found;
  }

  /** Stores results by token, then evicts the least recently used past `maxBytes`. */
  async set(entries: readonly (readonly [string, unknown])[]): Promise<void> {
    const store = this.open();
    const rows: [string, unknown][] = [];
    const now = Date.now();
    for (const [token, value] of entries) {
      let encoded: unknown;
      try {
        encoded = new CloneEncoder(false).encode(value);
      } catch {
        continue; // not storable (a function inside): not cached
      }
      const bytes = sizeof(encoded);
      if (bytes > this.maxBytes) continue;
      rows.push([`v:${token}`, encoded], [`i:${token}`, { bytes, used: now } satisfies IndexEntry]);
    }
    if (rows.length === 0) return;
    try {
      await setMany(rows, store);
      await this.evict(store);
    } catch {
      // Quota or a value IndexedDB cannot clone: these results are just not cached.
    }
  }

  /** Bytes and results held. */
  async stats(): Promise<{ entries: number; bytes: number }> {
    const index = await this.index(this.open());
    let bytes = 0;
    for (const [, e] of index) bytes += e.bytes;
    return { entries: index.length, bytes };
  }

  /** Deletes every cached result. */
  async clear(): Promise<void> {
    await clear(this.open());
  }

  private async evict(store: UseStore): Promise<void> {
    const index = await this.index(store);
    let total = 0;
    for (const [, e] of index) total += e.bytes;
    if (total <= this.maxBytes) return;
    index.sort((a, b) => a[1].used - b[1].used);
    const drop: string[] = [];
    for (const [token, e] of index) {
      if (total <= this.maxBytes) break;
      drop.push(`v:${token}`, `i:${token}`);
      total -= e.bytes;
    }
    await delMany(drop, store);
  }

  private async index(store: UseStore): Promise<[string, IndexEntry][]> {
    const names = (await storeKeys<string>(store)).filter((k) => k.startsWith('i:'));
    const entries = await getMany<IndexEntry | undefined>(names, store);
    const out: [string, IndexEntry][] = [];
    names.forEach((name, i) => {
      const e = entries[i];
      if (e !== undefined) out.push([name.slice(2), e]);
    });
    return out;
  }

  private open(): UseStore {
    if (typeof indexedDB === 'undefined')
      throw new BaskError(
        'ERR_INVALID_ARGUMENT',
        "cache: 'indexeddb' needs IndexedDB (browsers and Web Workers have it; Node does not)",
      );
    this.store ??= createStore(this.name, 'results');
    return this.store;
  }
}

let shared: ResultCache | undefined;

/** The cache `cache: 'indexeddb'` uses (database 'bask-cache', 256 MiB). */
export function defaultResultCache(): ResultCache {
  shared ??= new ResultCache();
  return shared;
}

/** Deletes every result in the default cache (`cache: 'indexeddb'`). */
export function clearCache(): Promise<void> {
  return defaultResultCache().clear();
}
