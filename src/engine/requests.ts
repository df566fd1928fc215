/**
 * What clients ask of submitted tasks besides releasing them, as small pure functions over the
 * engine's records (the transitions they lead to live in base.ts):
 *
 * - Cancelling (Dask's `cancel_key`): a key only its client wants is cancelled with every
 *   dependent, transitively, that no other client wants; a key another client wants too is
 *   only released by this one and takes nothing with it.
 * - Retrying (Dask's `retry`): an erred task runs again together with the erred tasks its
 *   failure came from (the erred part of its lineage).
 */
import type { ClientId, TaskRecord } from './types.js';

/** True when no client but `client` wants `t` (nobody at all counts). */
export function isOnlyWantedBy(t: TaskRecord, client: ClientId): boolean {
  return t.wantedBy === null || (t.wantedBy.length === 1 && t.wantedBy[0] === client);
}

/**
 * The tasks a cancellation of `roots` by `client` takes with it (roots excluded), each with
 * the key of the root it depends on: their dependents, transitively, that no other client
 * wants.
 */
export function cancelledWith(
  roots: readonly TaskRecord[],
  client: ClientId,
): { task: TaskRecord; root: string }[] {
  const seen = new Set<TaskRecord>(roots);
  const out: { task: TaskRecord; root: string }[] = [];
  const stack = roots
    .filter((t) => isOnlyWantedBy(t, client))
    .map((task) => ({ task, root: task.key }));
  while (stack.length > 0) {
    const { task, root } = stack.pop() as { task: TaskRecord; root: string };
    for (const d of task.dependents) {
      if (d.state === 'forgotten' || seen.has(d) || !isOnlyWantedBy(d, client)) continue;
      seen.add(d);
      out.push({ task: d, root });
      stack.push({ task: d, root });
    }
  }
  return out;
}

/** `t` and the erred tasks it depends on, transitively (what a retry runs again). */
export function erredLineage(t: TaskRecord): TaskRecord[] {
  if (t.state !== 'erred') return [];
  const seen = new Set<TaskRecord>([t]);
  const stack = [t];
  while (stack.length > 0) {
    const u = stack.pop() as TaskRecord;
    for (const dep of u.dependencies) {
      if (dep.state !== 'erred' || seen.has(dep)) continue;
      seen.add(dep);
      stack.push(dep);
    }
  }
  return [...seen];
}
