/**
 * Wires named schedulers to implementations for a runtime: 'sync' to the inline scheduler,
 * 'threads' to the shared worker pools, 'processes' to the shared pools of worker processes
 * where the runtime has them (Node), else to the threads'. Called once by each package entry.
 *
 * The sync scheduler (and the inline executor under it) loads with its first run: most apps
 * compute on the pool, and `run` is async anyway.
 */
import { setSchedulerFactory } from './config.js';
import { setPoolRuntime } from './local/pool.js';
import { defaultPool, processPool, processesScheduler } from './local/pools.js';
import type { PoolRuntime } from './local/runtime.js';
import type { RunRequest, Scheduler } from './scheduler.js';

let loadedSync: Promise<Scheduler> | undefined;

/** The sync scheduler, imported on the first run that asks for it. */
const sync: Scheduler = {
  schedulerName: 'sync',
  async run(request: RunRequest): Promise<Map<string, unknown>> {
    loadedSync ??= import('./local/sync.js').then(
      (m) => new m.SyncScheduler(),
      (error: unknown) => {
        loadedSync = undefined; // a failed load (a network error) is tried again next run
        throw error;
      },
    );
    return (await loadedSync).run(request);
  },
};

/** Installs the schedulers for `runtime` (and `processes`, a runtime of worker processes). */
export function installSchedulers(runtime: PoolRuntime, processes?: PoolRuntime): void {
  setPoolRuntime(runtime);
  if (processes !== undefined) processPool.useRuntime(processes);
  setSchedulerFactory((name) =>
    name === 'sync' || name === 'synchronous' || name === 'single-threaded'
      ? sync
      : name === 'processes'
        ? processesScheduler()
        : defaultPool,
  );
}
