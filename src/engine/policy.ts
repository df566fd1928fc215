/**
 * Scheduling policies as small pure functions: how much work a worker may hold (queue depth
 * and backpressure), whether a task may run on a worker (restrictions, resources), which
 * worker gets a ready task (data locality against load, Dask's `worker_objective`), and which
 * distinct hosts get the replicas of a task with `verify`.
 *
 * A worker with a free thread always takes a ready task. Beyond that it queues work only while
 * both hold: its estimated queue is under `targetQueueSeconds` (so tiny tasks go in batches),
 * and it holds no more than its fair share of the tasks in play (so a wrong estimate, such as
 * a group measured on short runs, never piles a batch on one worker while others get less;
 * Dask bounds a worker's batch of root tasks the same way).
 *
 * A task with a `timeout` goes only to a thread with nothing else to do (its clock starts
 * when it is sent, so nothing may run before it there) and never back to a host where it
 * timed out.
 */
import type { Capacity } from './capacity.js';
import type { TaskGroup, TaskRecord, WorkerRecord } from './types.js';

/** Tunables of the policies; drivers pick values that fit their transport. */
export interface Policy {
  /** Keep about this many seconds of estimated work queued per thread beyond the running task. */
  readonly targetQueueSeconds: number;
  /** Never queue more than this many tasks per thread (bounds message and memory cost). */
  readonly maxQueuePerThread: number;
  /** Estimated duration of a task whose group has no measurement yet (seconds). */
  readonly defaultDuration: number;
  /** Cost of one task beyond its own run time: messaging, arguments (seconds). */
  readonly perTaskOverhead: number;
  /** Bytes per second between workers on different hosts (10x that on the same host). */
  readonly bandwidth: number;
  /** One task per thread at a time, in strict priority order (the sync scheduler). */
  readonly exact: boolean;
}

/** Defaults for a local pool or a cluster. */
export const DEFAULT_POLICY: Policy = {
  targetQueueSeconds: 0.005,
  maxQueuePerThread: 1000,
  defaultDuration: 0.5,
  perTaskOverhead: 2e-6,
  bandwidth: 100e6,
  exact: false,
};

/**
 * The expected duration of a task of `group`, overhead included, in whole microseconds (a
 * small integer is stored unboxed on the task record; a float would cost an allocation).
 */
export function estimateMicros(group: TaskGroup, policy: Policy): number {
  const seconds =
    (group.duration < 0 ? policy.defaultDuration : group.duration) + policy.perTaskOverhead;
  return Math.min(MAX_ESTIMATE_US, Math.max(1, Math.round(seconds * 1e6)));
}

const MAX_ESTIMATE_US = 2 ** 30 - 1;

/**
 * Whether a worker can take one more task: a free thread, or queued work below the target
 * (so tiny tasks go in large batches and long tasks are not hoarded) and below `share` tasks
 * per thread (see {@link fairShare}). A worker running a suspicious task alone takes nothing
 * else.
 */
export function hasRoom(worker: WorkerRecord, policy: Policy, share = Infinity): boolean {
  if (worker.isolating !== null) return false;
  const count = worker.nprocessing;
  if (count < worker.nthreads) return true;
  if (policy.exact) return false;
  return (
    worker.occupancy < worker.nthreads * policy.targetQueueSeconds * 1e6 &&
    count < worker.nthreads * Math.min(share, policy.maxQueuePerThread + 1)
  );
}

/**
 * Tasks per thread a worker may hold: the ready and processing tasks spread evenly over all
 * threads, rounded up. Estimates can be wrong (a group first measured on short runs, unrelated
 * functions that share a name); a batch sized on one must not leave another worker short.
 * Eight 200 ms tasks estimated at 1 ms each went 5/3 on two workers; within the share, 4/4.
 */
export function fairShare(ready: number, processing: number, threads: number): number {
  return threads === 0 ? Infinity : Math.ceil((ready + processing) / threads);
}

/**
 * Whether `worker` satisfies the task's worker and resource restrictions. Loose worker
 * restrictions (`allowOtherWorkers`) admit any worker while none of the named ones is among
 * `workers` (the connected workers; omitted, restrictions are strict).
 */
export function isAllowed(
  task: TaskRecord,
  worker: WorkerRecord,
  workers?: readonly WorkerRecord[],
): boolean {
  return fitsWorker(task, worker, workers, true);
}

/**
 * Whether `worker` could ever run the task: its `workers` restriction and the resources the
 * worker has in total (not what is free now). Used to tell "wait" from "nowhere to go".
 */
export function couldRun(
  task: TaskRecord,
  worker: WorkerRecord,
  workers?: readonly WorkerRecord[],
): boolean {
  return fitsWorker(task, worker, workers, false);
}

/** The restrictions of `task` against `worker`: resources free now (`now`), or in total. */
function fitsWorker(
  task: TaskRecord,
  worker: WorkerRecord,
  workers: readonly WorkerRecord[] | undefined,
  now: boolean,
): boolean {
  const options = task.options;
  if (options === null) return true;
  if (!admitsWorker(task, worker, workers)) return false;
  if (options.resources !== undefined) {
    for (const [name, need] of Object.entries(options.resources)) {
      const total = worker.resources[name] ?? 0;
      const free = now ? total - (worker.usedResources.get(name) ?? 0) : total;
      if (free < need) return false;
    }
  }
  return true;
}

/** The task's `workers` restriction admits `worker` (see `isAllowed` for loose ones). */
function admitsWorker(
  task: TaskRecord,
  worker: WorkerRecord,
  workers: readonly WorkerRecord[] | undefined,
): boolean {
  const named = task.options?.workers;
  if (named === undefined || named.some((w) => matchesWorker(w, worker.id))) return true;
  if (task.options?.allowOtherWorkers !== true || workers === undefined) return false;
  return !workers.some((other) => named.some((w) => matchesWorker(w, other.id)));
}

/** A restriction names a worker thread (`alice/0`) or every thread of a process (`alice`). */
export function matchesWorker(restriction: string, id: string): boolean {
  return (
    id === restriction ||
    (id.startsWith(restriction) && id.charCodeAt(restriction.length) === 47) /* '/' */
  );
}

/** Seconds to bring the task's dependencies to `worker`. */
export function transferCost(task: TaskRecord, worker: WorkerRecord, policy: Policy): number {
  let local = 0;
  let remote = 0;
  const deps = task.dependencies;
  for (let i = 0; i < deps.length; i++) {
    const dep = deps[i] as TaskRecord;
    const holders = dep.holders;
    if (holders === null || holders.includes(worker)) continue;
    if (holders.some((h) => h.host === worker.host)) local += dep.nbytes;
    else remote += dep.nbytes;
  }
  return (remote + local / 10) / policy.bandwidth;
}

/**
 * The worker for a ready task, or undefined when it must wait.
 *
 * Root tasks (no dependencies) are queued centrally and go only to workers with room (within
 * `share` tasks per thread, see {@link fairShare}), staying on `previous` while it has room
 * (neighbours in priority order share dependents, so they belong together). Tasks with
 * dependencies go where their inputs are (Dask's decide_worker): the candidates are the
 * workers holding an input, scored by transfer time plus the time until the worker is free;
 * they wait only when every candidate is at its hard limit.
 *
 * `capacity`, when given, holds the running totals over exactly `workers` (capacity.ts): a
 * root task is then placed without scanning every worker, with the same choice as the scan.
 */
export function pickWorker(
  task: TaskRecord,
  workers: readonly WorkerRecord[],
  previous: WorkerRecord | undefined,
  policy: Policy,
  share = Infinity,
  capacity?: Capacity,
): WorkerRecord | undefined {
  const deps = task.dependencies;
  if (workers.length === 1) {
    const only = workers[0] as WorkerRecord;
    return fits(task, only, policy, deps.length > 0, workers, share) ? only : undefined;
  }
  if (deps.length === 0) {
    if (previous !== undefined && fits(task, previous, policy, false, workers, share))
      return previous;
    return capacity === undefined
      ? best(task, workers, policy, false, share)
      : bestRoot(task, workers, policy, share, capacity);
  }
  let chosen: WorkerRecord | undefined;
  let chosenCost = Infinity;
  for (let i = 0; i < deps.length; i++) {
    const holders = (deps[i] as TaskRecord).holders ?? NO_WORKERS;
    for (let h = 0; h < holders.length; h++) {
      const w = holders[h] as WorkerRecord;
      if (w === chosen || !fits(task, w, policy, true, workers)) continue;
      const cost = objective(task, w, policy);
      if (cost < chosenCost) {
        chosen = w;
        chosenCost = cost;
      }
    }
  }
  return chosen ?? best(task, workers, policy, true, share);
}

const NO_WORKERS: readonly WorkerRecord[] = [];

/**
 * Up to `count` workers for replicas of a task, each on a host not in `excluded` and not
 * shared with another pick (distinct machines: a liar is a machine, not a thread), best
 * objective first. Fewer (or none) when not enough hosts can take it now.
 */
export function pickReplicas(
  task: TaskRecord,
  workers: readonly WorkerRecord[],
  count: number,
  excluded: readonly string[],
  policy: Policy,
): WorkerRecord[] {
  const picked: WorkerRecord[] = [];
  const hosts = new Set(excluded);
  const dependent = task.dependencies.length > 0;
  while (picked.length < count) {
    let chosen: WorkerRecord | undefined;
    let chosenCost = Infinity;
    for (const w of workers) {
      if (hosts.has(w.host) || !fits(task, w, policy, dependent, workers)) continue;
      const cost = objective(task, w, policy);
      if (cost < chosenCost) {
        chosen = w;
        chosenCost = cost;
      }
    }
    if (chosen === undefined) break;
    picked.push(chosen);
    hosts.add(chosen.host);
  }
  return picked;
}

function best(
  task: TaskRecord,
  workers: readonly WorkerRecord[],
  policy: Policy,
  dependent: boolean,
  share: number,
): WorkerRecord | undefined {
  let chosen: WorkerRecord | undefined;
  let chosenCost = Infinity;
  for (const w of workers) {
    if (!fits(task, w, policy, dependent, workers, share)) continue;
    const cost = objective(task, w, policy);
    if (cost < chosenCost) {
      chosen = w;
      chosenCost = cost;
    }
  }
  return chosen;
}

/**
 * `best` for a root task, from `capacity` instead of a scan: only open workers can have room;
 * an idle one has the least objective (0), and the scan would take the first in list (join)
 * order, so an unrestricted task takes the first idle worker; otherwise the open workers are
 * compared, ties going to the earliest joined, as the scan's strict `<` does.
 */
function bestRoot(
  task: TaskRecord,
  workers: readonly WorkerRecord[],
  policy: Policy,
  share: number,
  capacity: Capacity,
): WorkerRecord | undefined {
  const open = capacity.open;
  if (open.size === 0) return undefined;
  if (task.options === null) {
    const idle = capacity.firstIdle();
    if (idle !== undefined) return idle;
  }
  let chosen: WorkerRecord | undefined;
  let chosenCost = Infinity;
  for (const w of open) {
    if (!fits(task, w, policy, false, workers, share)) continue;
    const cost = objective(task, w, policy);
    if (
      cost < chosenCost ||
      (cost === chosenCost && chosen !== undefined && w.joined < chosen.joined)
    ) {
      chosen = w;
      chosenCost = cost;
    }
  }
  return chosen;
}

/** Seconds until the task could finish there: fetching inputs plus waiting for the worker. */
function objective(task: TaskRecord, w: WorkerRecord, policy: Policy): number {
  return transferCost(task, w, policy) + w.occupancy / 1e6 / w.nthreads + w.nprocessing * 1e-9;
}

/**
 * Whether `worker` may take `task` now: a suspicious task needs an idle worker; a root task
 * needs room (within its share); a dependent only needs the worker to be under its hard limit
 * (except in exact mode, where every task needs room); restrictions always apply; a task with
 * a timeout needs a free thread on a host where it has not timed out.
 */
function fits(
  task: TaskRecord,
  worker: WorkerRecord,
  policy: Policy,
  dependent: boolean,
  workers: readonly WorkerRecord[],
  share = Infinity,
): boolean {
  if (worker.paused) return false;
  if (task.suspicious > 0) {
    if (worker.nprocessing !== 0 || worker.isolating !== null) return false;
  } else if (dependent && !policy.exact) {
    if (
      worker.isolating !== null ||
      worker.nprocessing >= worker.nthreads * (policy.maxQueuePerThread + 1)
    )
      return false;
  } else if (!hasRoom(worker, policy, share)) {
    return false;
  }
  const options = task.options;
  if (options === null) return true;
  if (
    options.timeout !== undefined &&
    (worker.nprocessing >= worker.nthreads ||
      (task.checks !== null && task.checks.timedOut.includes(worker.host)))
  )
    return false;
  return isAllowed(task, worker, workers);
}

/** Where scattered values go: per key, its target workers; and the round-robin cursor after. */
export interface ScatterPlacement<W> {
  readonly targets: (readonly W[])[];
  readonly next: number;
}

/**
 * Places `count` scattered values on `workers`: every worker gets each value when
 * broadcasting, otherwise round robin from `cursor` (callers keep `next` so successive
 * scatters keep spreading). `workers` must not be empty.
 */
export function placeScatter<W>(
  count: number,
  workers: readonly W[],
  broadcast: boolean,
  cursor: number,
): ScatterPlacement<W> {
  const targets: (readonly W[])[] = [];
  let next = cursor;
  for (let i = 0; i < count; i++) {
    targets.push(broadcast ? workers : [workers[next++ % workers.length] as W]);
  }
  return { targets, next };
}
