/**
 * The default pools behind `scheduler: 'threads'` and `'processes'`: one shared `Pool` per
 * worker count, started on first use and reused by every computation. `numWorkers` on a call
 * (or in config) picks the pool of that size; `close()` stops them all.
 *
 * 'processes' is a pool of worker processes where the package entry installs a runtime for
 * them (Node: child processes, runtime-process.ts); elsewhere (browsers, where a Web Worker is
 * already an isolate of its own) it is the same pool as 'threads'.
 */
import { config } from '../config.js';
import type { RunRequest, Scheduler } from '../scheduler.js';
import { Pool, getPoolRuntime } from './pool.js';
import type { PoolRuntime } from './runtime.js';

/** Shared pools by size, as one scheduler. */
export class DefaultPools implements Scheduler, AsyncDisposable {
  private readonly pools = new Map<number, Pool>();
  private runtime: PoolRuntime | undefined;

  constructor(
    /** 'threads' or 'processes'. */
    readonly schedulerName: 'threads' | 'processes' = 'threads',
  ) {}

  /** Spawns this scheduler's workers with `runtime` (default: the package entry's). */
  useRuntime(runtime: PoolRuntime): void {
    this.runtime = runtime;
  }

  /** Whether a runtime of its own was installed (see `useRuntime`). */
  get hasRuntime(): boolean {
    return this.runtime !== undefined;
  }

  /** The shared pool with `numWorkers` workers (default: config, else the machine's cores). */
  pool(numWorkers?: number): Pool {
    const runtime = this.runtime ?? getPoolRuntime();
    const n = numWorkers ?? config.get('numWorkers') ?? runtime.cores();
    let pool = this.pools.get(n);
    if (pool === undefined) {
      pool = new Pool({ numWorkers: n, runtime });
      this.pools.set(n, pool);
    }
    return pool;
  }

  /**
   * Starts the workers of the shared pool of that size now (`Pool.start`), so that the first
   * computation on this scheduler does not wait for them.
   *
   * @example
   * void defaultPool.start(); // 'threads' runs start warm
   */
  start(numWorkers?: number): Promise<void> {
    return this.pool(numWorkers).start();
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

/** The pools behind 'threads'. */
export const defaultPool = new DefaultPools('threads');

/** The pools behind 'processes' once a runtime of worker processes is installed. */
export const processPool = new DefaultPools('processes');

/** The scheduler 'processes' names here: worker processes where installed, else threads. */
export function processesScheduler(): DefaultPools {
  return processPool.hasRuntime ? processPool : defaultPool;
}
