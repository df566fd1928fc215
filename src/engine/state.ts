/**
 * The transition table and the bookkeeping every step shares. Every change of a task's state
 * goes through {@link transition}, which refuses a pair the table does not list; the named
 * steps that make each transition (core.ts, base.ts, replicas.ts) keep the counters, and the
 * helpers here keep the books both of a task and of its workers in step:
 *
 *   assignTask / unassignTask   a run on a worker: `nprocessing`, `occupancy`, isolation,
 *                               resources, the worker's `processing` index, and the engine's
 *                               running totals (capacity.ts)
 *   setHolders / addHolder /    copies of the data on workers: the task's `holders`, the
 *   removeHolder / clearHolders worker's `nbytes` and its `held` index
 *
 * The indexes let a worker that leaves touch only its own tasks (faults.ts), as distributed's
 * `WorkerState.processing` and `has_what` do.
 */
import type { TaskRecord, TaskState, WorkerRecord } from './types.js';

/**
 * The legal transitions: from a state, the states a task may move to, each with the step that
 * makes it in a comment (distributed's `_TRANSITIONS_TABLE`; comments, so that browser bundles
 * do not carry the descriptions). Any other pair is a bug in the engine. The
 * main line is released -> waiting -> queued -> processing -> memory -> released -> forgotten
 * (the diagram is in engine.ts); a pipelined task skips queued.
 */
export const TRANSITIONS: {
  readonly [From in TaskState]: { readonly [To in TaskState]?: true };
} = {
  released: {
    waiting: true, // makeNeeded: needed again, waits for its inputs
    erred: true, // makeNeeded: an input erred, or scattered data is gone
    memory: true, // dataScattered: placed directly
    forgotten: true, // forget: no client and no live dependent
  },
  waiting: {
    queued: true, // toQueued: its inputs are in memory
    processing: true, // pipeline: behind its inputs on their worker
    released: true, // drainReleaseChecks: nobody needs it
    erred: true, // toErred: an input failed
  },
  queued: {
    processing: true, // toProcessing, startReplicas: sent to workers
    waiting: true, // lost: an input lost its data
    released: true, // drainReleaseChecks: nobody needs it
    erred: true, // toErred: an input failed
  },
  processing: {
    memory: true, // toMemory: finished (or verified)
    erred: true, // toErred: failed, or an input failed
    waiting: true, // rewait, revertToWaiting: its worker or an input went away
    queued: true, // toQueued: failed with retries left
    released: true, // drainReleaseChecks: nobody needs it
  },
  memory: {
    released: true, // freeData, lost: nobody needs it, or no copy is left
  },
  erred: {
    released: true, // clearError: retried
    memory: true, // dataScattered: placed directly
    forgotten: true, // forget: no client and no live dependent
  },
  forgotten: {},
};

/**
 * Moves `t` to `to`; throws when the table has no such transition (the engine's own bug: the
 * message names the task and both states). Cheap enough to run always: one lookup.
 */
export function transition(t: TaskRecord, to: TaskState): void {
  if (TRANSITIONS[t.state][to] === undefined) throw illegalTransition(t, to);
  t.state = to;
}

function illegalTransition(t: TaskRecord, to: TaskState): Error {
  return new Error(`Illegal transition of task '${t.key}': ${t.state} -> ${to}`);
}

/** A run of `t` goes on `w`'s books (the task's own `processingOn` or replicas are the caller's). */
export function assignTask(t: TaskRecord, w: WorkerRecord): void {
  w.nprocessing++;
  w.occupancy += t.estimate;
  w.processing.add(t);
  if (t.suspicious > 0) w.isolating = t;
  holdResources(t, w, 1);
  const capacity = w.capacity;
  if (capacity !== null) {
    capacity.processing++;
    capacity.update(w);
  }
}

/** A run of `t` comes off `w`'s books. */
export function unassignTask(t: TaskRecord, w: WorkerRecord): void {
  w.nprocessing--;
  w.occupancy = w.nprocessing === 0 ? 0 : w.occupancy - t.estimate;
  w.processing.delete();
  if (w.isolating === t) w.isolating = null;
  holdResources(t, w, -1);
  const capacity = w.capacity;
  if (capacity !== null) {
    capacity.processing--;
    capacity.update(w);
  }
}

function holdResources(t: TaskRecord, w: WorkerRecord, sign: 1 | -1): void {
  const resources = t.options?.resources;
  if (resources === undefined) return;
  for (const [name, amount] of Object.entries(resources)) {
    w.usedResources.set(name, (w.usedResources.get(name) ?? 0) + sign * amount);
  }
}

/** `t`'s data (of `t.nbytes`) is on `holders`: a fresh list, which the task keeps. */
export function setHolders(t: TaskRecord, holders: WorkerRecord[]): void {
  t.holders = holders;
  for (let i = 0; i < holders.length; i++) {
    const w = holders[i] as WorkerRecord;
    w.held.add(t);
    w.nbytes += t.nbytes;
  }
}

/** `w` holds a copy of `t`'s data too (`t.holders` is a list, `t.nbytes` set). */
export function addHolder(t: TaskRecord, w: WorkerRecord): void {
  (t.holders as WorkerRecord[]).push(w);
  w.held.add(t);
  w.nbytes += t.nbytes;
}

/** `w` no longer holds `t`'s data; false when it did not. */
export function removeHolder(t: TaskRecord, w: WorkerRecord): boolean {
  const holders = t.holders;
  const i = holders === null ? -1 : holders.indexOf(w);
  if (i < 0) return false;
  (holders as WorkerRecord[]).splice(i, 1);
  w.held.delete();
  w.nbytes -= t.nbytes;
  return true;
}

/** No worker holds `t`'s data any more; returns those that did, in order. */
export function clearHolders(t: TaskRecord): readonly WorkerRecord[] {
  const holders = t.holders;
  if (holders === null) return NO_WORKERS;
  t.holders = null;
  for (let i = 0; i < holders.length; i++) {
    const w = holders[i] as WorkerRecord;
    w.held.delete();
    w.nbytes -= t.nbytes;
  }
  return holders;
}

const NO_WORKERS: readonly WorkerRecord[] = [];
