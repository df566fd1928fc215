/**
 * Where a `run`'s inputs are: for each thread of another process that the tasks' fetches
 * name, its process and peer server (`WorkerInfo`), sent with the run. This replaces a peer
 * table that every process kept of every other: that table made each join O(N) (the welcome
 * carried it, and the join went to every process), so a ramp to N volunteers cost O(N²).
 * Now a process learns of a peer the first time it must fetch from it, as Dask's
 * compute-task carries `who_has`.
 *
 * Cost: one map lookup per fetch of the run; nothing for tasks whose inputs are all local.
 */
import { fetchesOf, type WireTask } from '../../src/wire/pool-protocol.js';
import type { WorkerInfo } from '../../src/wire/protocol.js';
import { infoOf, type WorkerProcesses, type WorkerProcessRecord } from './processes.js';

/** The holders in other processes than `to` named by `tasks`' fetches; undefined when none. */
export function holdersOf(
  processes: WorkerProcesses,
  to: WorkerProcessRecord,
  tasks: readonly WireTask[],
): WorkerInfo[] | undefined {
  let holders: Map<string, WorkerInfo> | undefined;
  for (const task of tasks) {
    for (const f of fetchesOf(task)) {
      if (holders?.has(f.from) === true) continue;
      const holder = processes.ofThread(f.from);
      if (holder === undefined || holder === to) continue;
      (holders ??= new Map()).set(f.from, infoOf(f.from, holder));
    }
  }
  return holders === undefined ? undefined : [...holders.values()];
}
