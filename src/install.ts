/**
 * Wires named schedulers to implementations for a runtime: 'sync' to the inline scheduler,
 * 'threads' and 'processes' to the shared worker pools. Called once by each package entry.
 */
import { setSchedulerFactory } from './config.js';
import { SyncScheduler } from './local/sync.js';
import { setPoolRuntime } from './local/pool.js';
import { defaultPool } from './local/pools.js';
import type { PoolRuntime } from './local/runtime.js';

/** Installs the schedulers for `runtime`. */
export function installSchedulers(runtime: PoolRuntime): void {
  const sync = new SyncScheduler();
  setPoolRuntime(runtime);
  setSchedulerFactory((name) =>
    name === 'sync' || name === 'synchronous' || name === 'single-threaded' ? sync : defaultPool,
  );
}
