/**
 * The default pool behind `scheduler: 'threads'` (and 'processes'): one shared `Pool` per
 * worker count, started on first use and reused by every computation. `numWorkers` on a call
 * (or in config) picks the pool of that size; `defaultPool.close()` stops them all.
 */
import { config } from '../config.js';
import type { RunRequest, Scheduler } from '../scheduler.js';
import { Pool, getPoolRuntime } from './pool.js';

/** Shared pools by size, as one scheduler. */
export class DefaultPools implements Scheduler, AsyncDisposable {
  readonly schedulerName = 'threads';
  private readonly pools = new Map<number, Pool>();

  /** The shared pool with `numWorkers` workers (default: config, else the machine's cores). */
  pool(numWorkers?: number): Pool {
    const n = numWorkers ?? config.get('numWorkers') ?? getPoolRuntime().cores();
    let pool = this.pools.get(n);
    if (pool === undefined) {
      pool = new Pool({ numWorkers: n });
      this.pools.set(n, pool);
    }
    return pool;
  }

  run(request: RunRequest): Promise<Map<string, unknown>> {
    return this.pool(request.numWorkers).run(request);
  }

  /** Stops every shared pool; the next computation starts a fresh one. */
  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close()));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** The pools behind 'threads' and 'processes'. */
export const defaultPool = new DefaultPools();
