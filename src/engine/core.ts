/**
 * The engine's state and its transitions: the records of tasks and workers, the ready queue,
 * and the small named steps that move a task between states (queue it, send it to a worker,
 * pipeline its dependents, fail it with its dependents, lose its data, release, forget).
 * Replicated runs (`verify`) are in replicas.ts, worker faults in faults.ts; `Engine`
 * (engine.ts) turns events into sequences of these steps.
 *
 * Every step keeps the invariants `validateState` checks; steps that cascade (release,
 * forget, erring dependents) use explicit stacks, never recursion, so a 1M-long chain is fine.
 */
import { BaskError } from '../errors.js';
import { ReadyQueue } from './queue.js';
import {
  DEFAULT_POLICY,
  estimateMicros,
  fairShare,
  isAllowed,
  pickWorker,
  type Policy,
} from './policy.js';
import {
  TaskGroup,
  TaskRecord,
  WorkerRecord,
  type CheckCounters,
  type ClientId,
  type Fetch,
  type Instruction,
  type WorkerId,
} from './types.js';
import { verifyOf } from './verify.js';

/** Options for {@link Engine}. */
export interface EngineOptions {
  /** Policy tunables (queue depth, bandwidth, strict order for sync). */
  policy?: Partial<Policy>;
  /**
   * Checks the state after every event (tests; slow): pass `validateState` from
   * engine/validate.ts. Given, not imported, so that apps' bundles leave the checker out.
   */
  validate?: (engine: EngineCore) => void;
  /**
   * A task that was running on this many workers when they died fails with ERR_KILLED_WORKER;
   * one that timed out on this many hosts fails with ERR_TIMEOUT.
   */
  allowedFailures?: number;
  /**
   * Honour `verify: k` by running a task on k distinct hosts and comparing hashes (the
   * cluster). Off by default: on one machine replication costs work and catches nothing.
   */
  replicate?: boolean;
}

/** The legal transitions, for documentation and validation. */
export const TRANSITIONS: ReadonlySet<string> = new Set([
  'released->waiting',
  'released->erred',
  'released->forgotten',
  'waiting->queued',
  'waiting->released',
  'waiting->erred',
  'queued->processing',
  'queued->waiting',
  'queued->released',
  'queued->erred',
  'processing->memory',
  'processing->erred',
  'processing->waiting',
  'processing->queued',
  'processing->released',
  'memory->released',
  'erred->released',
  'erred->forgotten',
]);

/** The spec of data that was placed directly (scattered): it has no lineage to recompute. */
export const SCATTERED: unique symbol = Symbol('bask.scattered');

const NO_FETCH: readonly Fetch[] = Object.freeze([]);
/** A shared empty list of tasks (never mutated). */
export const NO_TASKS: TaskRecord[] = [];

function runsBefore(a: TaskRecord, b: TaskRecord): boolean {
  const pa = a.options?.priority ?? 0;
  const pb = b.options?.priority ?? 0;
  return pa !== pb ? pa > pb : a.rank < b.rank;
}

/** The engine's state and transitions; see `Engine` for the events that drive them. */
export abstract class EngineCore {
  readonly tasks = new Map<string, TaskRecord>();
  readonly workers = new Map<WorkerId, WorkerRecord>();
  readonly queue = new ReadyQueue<TaskRecord>(runsBefore);
  readonly clientWants = new Map<ClientId, Set<TaskRecord>>();
  readonly policy: Policy;
  protected workerList: WorkerRecord[] = [];
  protected readonly groups = new Map<string, TaskGroup>();
  protected nextRank = 0;
  protected out: Instruction[] = [];
  protected readonly freeing = new Map<WorkerRecord, string[]>();
  protected readonly releaseChecks: TaskRecord[] = [];
  protected previousRootWorker: WorkerRecord | undefined;
  protected lastGroup: TaskGroup | undefined;
  protected readonly validate: ((engine: EngineCore) => void) | undefined;
  protected readonly allowedFailures: number;
  protected readonly replicate: boolean;
  /** Replicated tasks in processing that need more runs than they have (waiting for hosts). */
  readonly needRuns = new Set<TaskRecord>();
  /** Replication, verification and deadline counters. */
  readonly counters: CheckCounters = {
    replicas: 0,
    verified: 0,
    mismatches: 0,
    verifyFailed: 0,
    timeouts: 0,
    quarantined: 0,
  };

  constructor(options: EngineOptions = {}) {
    this.policy = { ...DEFAULT_POLICY, ...options.policy };
    this.validate = options.validate;
    this.allowedFailures = options.allowedFailures ?? 3;
    this.replicate = options.replicate ?? false;
  }

  /** Sends the replicas a replicated task needs now; false when none could start. */
  protected abstract startReplicas(t: TaskRecord): boolean;
  /** Ends a replicated task's runs: running ones are cancelled, unaccepted results freed. */
  protected abstract stopReplicas(t: TaskRecord): void;
  /** Gives replicated tasks in `needRuns` the replicas hosts have room for now. */
  protected abstract retryReplicas(): void;

  /** Whether the task runs as replicas (a `verify` above 1 where the engine replicates). */
  protected isReplicated(t: TaskRecord): boolean {
    return t.options !== null && this.replicate && verifyOf(t.options) > 1;
  }

  protected groupOf(key: string): TaskGroup {
    const dash = key.lastIndexOf('-');
    const last = this.lastGroup;
    // Keys of one group usually come in runs: skip the slice and the lookup.
    if (last !== undefined && dash === last.name.length && key.startsWith(last.name)) return last;
    const name = dash > 0 ? key.slice(0, dash) : key;
    let group = this.groups.get(name);
    if (group === undefined) {
      group = new TaskGroup(name);
      this.groups.set(name, group);
    }
    this.lastGroup = group;
    return group;
  }

  // ---- transitions into activity -----------------------------------------------------------

  /** released -> waiting (or queued, or erred), and the same for released dependencies. */
  protected makeNeeded(root: TaskRecord): void {
    const stack = [root];
    while (stack.length > 0) {
      const t = stack.pop() as TaskRecord;
      if (t.state !== 'released') continue;
      if (t.spec === SCATTERED) {
        this.toErred(
          t,
          new BaskError(
            'ERR_DATA_LOST',
            `Scattered data '${t.key}' was lost with its worker; scatter it again`,
            { key: t.key },
          ),
          t.key,
        );
        continue;
      }
      const failed = t.dependencies.find((d) => d.state === 'erred');
      if (failed !== undefined) {
        this.toErred(t, failed.error, failed.blame);
        continue;
      }
      t.state = 'waiting';
      t.waitingOn = 0;
      for (const dep of t.dependencies) {
        dep.waiters++;
        if (dep.state !== 'memory') {
          t.waitingOn++;
          if (dep.state === 'released') stack.push(dep);
        }
      }
      if (t.waitingOn === 0) this.toQueued(t);
    }
  }

  protected toQueued(t: TaskRecord): void {
    t.state = 'queued';
    this.queue.push(t);
  }

  /**
   * Assigns queued tasks to workers with room, best first, until none has room. Replicated
   * tasks already running that need more replicas go first.
   */
  protected schedule(): void {
    if (this.needRuns.size > 0) this.retryReplicas();
    const queue = this.queue;
    if (queue.size === 0) return;
    // Each placement moves a task from the queue to a worker: the share holds for the pass.
    const share = this.fairShare();
    let blocked: TaskRecord[] | undefined;
    while (queue.size > 0) {
      const t = queue.peek() as TaskRecord;
      if (t.state !== 'queued') {
        queue.pop();
        continue;
      }
      if (t.options !== null && this.isReplicated(t)) {
        queue.pop();
        if (this.startReplicas(t)) continue;
        (blocked ??= []).push(t);
        // No host had room: an unrestricted task after it would find none either.
        if (!restrictsPlacement(t)) break;
        continue;
      }
      const w = pickWorker(t, this.workerList, this.previousRootWorker, this.policy, share);
      if (w === undefined) {
        // No worker fits: one like it behind it would not fit either (strict priority).
        if (!restrictsPlacement(t)) break;
        (blocked ??= []).push(queue.pop() as TaskRecord);
        continue;
      }
      queue.pop();
      this.toProcessing(t, w);
    }
    if (blocked !== undefined) for (const t of blocked) queue.push(t);
  }

  /** Tasks per thread a worker may hold now: ready and processing ones over all threads. */
  protected fairShare(): number {
    let threads = 0;
    let processing = 0;
    for (const w of this.workerList) {
      threads += w.nthreads;
      processing += w.nprocessing;
    }
    return fairShare(this.queue.size, processing, threads);
  }

  /** queued -> processing: the execute instruction, with what the worker must fetch. */
  protected toProcessing(t: TaskRecord, w: WorkerRecord): void {
    t.state = 'processing';
    t.processingOn = w;
    w.nprocessing++;
    t.estimate = estimateMicros(t.group, this.policy);
    w.occupancy += t.estimate;
    if (t.suspicious > 0) w.isolating = t;
    this.holdResources(t, w, 1);
    let fetch = NO_FETCH as Fetch[];
    const deps = t.dependencies;
    if (deps.length === 0) this.previousRootWorker = w;
    for (let i = 0; i < deps.length; i++) {
      const dep = deps[i] as TaskRecord;
      if (dep.state !== 'memory') continue; // pipelined: it runs before this task on `w`
      const holders = dep.holders as WorkerRecord[];
      if (holders.includes(w)) continue;
      if (fetch === NO_FETCH) fetch = [];
      const move = dep.waiters === 1 && dep.wantedBy === null && holders.length === 1;
      fetch.push({ key: dep.key, from: nearestHolder(holders, w).id, move });
    }
    const execute: Extract<Instruction, { type: 'execute' }> = {
      type: 'execute',
      worker: w.id,
      key: t.key,
      spec: t.spec,
      fetch,
      report: t.wantedBy !== null,
      lastUse: t.liveDependents === 0,
    };
    if (t.options?.timeout !== undefined) execute.timeout = t.options.timeout;
    this.out.push(execute);
    if (!this.policy.exact) this.pipeline(t, w);
  }

  /**
   * Pipelining: a waiting task whose missing inputs are all processing on `w` goes to `w` now,
   * behind them in the worker's queue, instead of a round trip later. Workers run tasks in the
   * order received, so its inputs are there when it starts. It stays counted as waiting on them
   * (`waitingOn`) until they finish.
   */
  protected pipeline(root: TaskRecord, w: WorkerRecord): void {
    const stack = [root];
    while (stack.length > 0) {
      const t = stack.pop() as TaskRecord;
      for (const d of t.dependents) {
        if (d.state !== 'waiting' || d.suspicious > 0 || !this.canPipeline(d, w)) continue;
        this.toProcessing(d, w);
        stack.push(d);
      }
    }
  }

  protected canPipeline(d: TaskRecord, w: WorkerRecord): boolean {
    for (const dep of d.dependencies) {
      if (dep.state === 'memory') continue;
      if (dep.state !== 'processing' || dep.processingOn !== w) return false;
    }
    if (w.isolating !== null || w.nprocessing >= w.nthreads * (this.policy.maxQueuePerThread + 1))
      return false;
    if (d.options === null) return true;
    // A timed task's clock starts when it is sent; a replicated one needs distinct hosts.
    if (d.options.timeout !== undefined || this.isReplicated(d)) return false;
    return isAllowed(d, w, this.workerList);
  }

  protected holdResources(t: TaskRecord, w: WorkerRecord, sign: 1 | -1): void {
    const resources = t.options?.resources;
    if (resources === undefined) return;
    for (const [name, amount] of Object.entries(resources)) {
      w.usedResources.set(name, (w.usedResources.get(name) ?? 0) + sign * amount);
    }
  }

  /**
   * Takes a processing task off every worker running it, telling them to drop it; returns its
   * worker when it had exactly one (pipelined dependents may sit behind it there).
   */
  protected stopRuns(t: TaskRecord): WorkerRecord | null {
    if (t.processingOn === null) {
      this.stopReplicas(t);
      return null;
    }
    const w = this.leaveWorker(t) as WorkerRecord;
    this.out.push({ type: 'cancel-task', worker: w.id, key: t.key });
    return w;
  }

  /** Takes the task off its worker's books (processing -> anything). */
  protected leaveWorker(t: TaskRecord): WorkerRecord | null {
    const w = t.processingOn;
    if (w !== null) {
      w.nprocessing--;
      w.occupancy = w.nprocessing === 0 ? 0 : w.occupancy - t.estimate;
      if (w.isolating === t) w.isolating = null;
      this.holdResources(t, w, -1);
      t.processingOn = null;
    }
    return w;
  }

  /** A task and every dependent still to run fail with the same error. */
  protected toErred(root: TaskRecord, error: unknown, blame: string): void {
    const stack = [root];
    while (stack.length > 0) {
      const t = stack.pop() as TaskRecord;
      const active = t.state === 'waiting' || t.state === 'queued' || t.state === 'processing';
      if (!active && t.state !== 'released') continue;
      if (t.state === 'processing') this.stopRuns(t);
      if (active) this.deactivate(t);
      t.state = 'erred';
      t.error = error;
      t.blame = blame;
      if (t.wantedBy !== null) for (const client of t.wantedBy) this.reportError(client, t);
      for (const d of t.dependents) {
        if (d.state === 'waiting' || d.state === 'queued' || d.state === 'processing')
          stack.push(d);
      }
      this.releaseChecks.push(t);
    }
  }

  /** erred -> released: the failure is forgotten, to run again (a retry); retries refill. */
  protected clearError(t: TaskRecord): void {
    if (t.state !== 'erred') return;
    t.state = 'released';
    t.error = undefined;
    t.blame = '';
    t.retriesLeft = t.options?.retries ?? 0;
  }

  /** Leaving waiting/queued/processing: dependencies lose a waiter. */
  protected deactivate(t: TaskRecord): void {
    for (const dep of t.dependencies) if (--dep.waiters === 0) this.releaseChecks.push(dep);
  }

  /**
   * processing -> memory: `holders` (one worker, or a verified majority) hold the result and
   * the inputs they fetched; dependents waiting on it move on; clients that want it hear.
   */
  protected toMemory(t: TaskRecord, holders: WorkerRecord[], nbytes: number): void {
    t.state = 'memory';
    t.nbytes = nbytes;
    t.holders = holders;
    for (const w of holders) {
      w.nkeys++;
      w.nbytes += nbytes;
    }
    for (const dep of t.dependencies) {
      const held = dep.holders;
      if (held !== null) {
        for (const w of holders) {
          if (held.includes(w)) continue;
          held.push(w);
          w.nkeys++;
          w.nbytes += dep.nbytes;
        }
      }
      if (--dep.waiters === 0) this.releaseChecks.push(dep);
    }
    const dependents = t.dependents;
    for (let i = 0; i < dependents.length; i++) {
      const d = dependents[i] as TaskRecord;
      if (d.state === 'waiting') {
        if (--d.waitingOn === 0) this.toQueued(d);
      } else if (d.state === 'processing' && d.waitingOn > 0) {
        d.waitingOn--; // pipelined behind this task
      }
    }
    if (t.wantedBy !== null) for (const client of t.wantedBy) this.report(client, t);
    else if (t.waiters === 0) this.releaseChecks.push(t);
  }

  protected report(client: ClientId, t: TaskRecord): void {
    const worker = (t.holders as WorkerRecord[])[0] as WorkerRecord;
    this.out.push({
      type: 'report',
      client,
      key: t.key,
      state: 'memory',
      worker: worker.id,
      nbytes: t.nbytes,
    });
  }

  protected reportError(client: ClientId, t: TaskRecord): void {
    this.out.push({
      type: 'report',
      client,
      key: t.key,
      state: 'erred',
      error: t.error,
      blame: t.blame,
    });
  }

  /** processing -> waiting: the worker drops it, and the tasks pipelined behind it. */
  protected revertToWaiting(d: TaskRecord): void {
    const w = this.stopRuns(d);
    if (w !== null) this.unpipeline(d, w);
    d.state = 'waiting';
    d.waitingOn = 0;
    for (const dep of d.dependencies) if (dep.state !== 'memory') d.waitingOn++;
  }

  /** Tasks pipelined on `w` behind `t` (which leaves `w` unfinished) go back to waiting. */
  protected unpipeline(t: TaskRecord, w: WorkerRecord): void {
    for (const d of t.dependents) {
      if (
        d.state === 'processing' &&
        d.processingOn === w &&
        d.waitingOn > 0 &&
        d.dependencies.includes(t)
      ) {
        this.revertToWaiting(d);
      }
    }
  }

  /** Back to waiting (or queued) after its worker went away; it stays active. */
  protected rewait(t: TaskRecord): void {
    t.state = 'waiting';
    t.waitingOn = 0;
    for (const dep of t.dependencies) if (dep.state !== 'memory') t.waitingOn++;
    if (t.waitingOn === 0) this.toQueued(t);
    else for (const dep of t.dependencies) if (dep.state === 'released') this.makeNeeded(dep);
  }

  /** memory -> released because no copy is left: recompute it if it is still needed. */
  protected lost(t: TaskRecord): void {
    t.state = 'released';
    t.holders = null;
    for (const d of t.dependents) {
      if (d.state === 'waiting') d.waitingOn++;
      else if (d.state === 'queued') {
        d.state = 'waiting';
        d.waitingOn = 1;
      } else if (d.state === 'processing') {
        this.revertToWaiting(d);
      }
    }
    if (t.wantedBy !== null)
      for (const client of t.wantedBy)
        this.out.push({ type: 'report', client, key: t.key, state: 'lost' });
    if (t.waiters > 0 || t.wantedBy !== null) this.makeNeeded(t);
    else this.releaseChecks.push(t);
  }

  // ---- release and forget -------------------------------------------------------------------

  protected drainReleaseChecks(): void {
    const stack = this.releaseChecks;
    while (stack.length > 0) {
      const t = stack.pop() as TaskRecord;
      if (t.state === 'forgotten' || t.wantedBy !== null || t.waiters > 0) continue;
      switch (t.state) {
        case 'memory':
          this.freeData(t);
          break;
        case 'processing':
          this.stopRuns(t);
          this.deactivate(t);
          t.state = 'released';
          break;
        case 'waiting':
        case 'queued':
          this.deactivate(t);
          t.state = 'released';
          break;
        default:
          break;
      }
      if (t.liveDependents === 0) this.forget(t);
    }
  }

  /** memory -> released: the holders drop the data. */
  protected freeData(t: TaskRecord): void {
    for (const w of t.holders ?? NO_WORKERS) {
      w.nkeys--;
      w.nbytes -= t.nbytes;
      this.freeOn(w, t.key);
    }
    t.holders = null;
    t.state = 'released';
  }

  protected freeOn(w: WorkerRecord, key: string): void {
    const keys = this.freeing.get(w);
    if (keys === undefined) this.freeing.set(w, [key]);
    else keys.push(key);
  }

  /** released/erred -> forgotten: the record goes, and dependencies may follow. */
  protected forget(t: TaskRecord): void {
    if (t.state !== 'released' && t.state !== 'erred') return;
    this.tasks.delete(t.key);
    t.state = 'forgotten';
    for (const dep of t.dependencies) {
      if (--dep.liveDependents === 0) {
        dep.dependents = NO_TASKS;
        this.releaseChecks.push(dep);
      } else if (dep.dependents.length > 2 * dep.liveDependents + 16) {
        dep.dependents = dep.dependents.filter((d) => d.state !== 'forgotten');
      }
    }
    t.dependencies = NO_TASKS;
    t.spec = undefined;
    t.error = undefined;
    t.checks = null;
  }

  protected flushFrees(): void {
    if (this.freeing.size === 0) return;
    for (const [w, keys] of this.freeing) this.out.push({ type: 'free-keys', worker: w.id, keys });
    this.freeing.clear();
  }
}

const NO_WORKERS: readonly WorkerRecord[] = [];

/**
 * Whether a task may go to fewer workers than an unrestricted one (named workers, resources,
 * isolation, hosts where it timed out): when it waits, tasks behind it may still be placed.
 */
function restrictsPlacement(t: TaskRecord): boolean {
  const o = t.options;
  return (
    t.suspicious > 0 ||
    (o !== null && (o.workers !== undefined || o.resources !== undefined)) ||
    (t.checks !== null && t.checks.timedOut.length > 0)
  );
}

/** The holder on the same host as `w` when there is one (cheaper to fetch from). */
export function nearestHolder(holders: readonly WorkerRecord[], w: WorkerRecord): WorkerRecord {
  if (holders.length === 1) return holders[0] as WorkerRecord;
  return holders.find((h) => h.host === w.host) ?? (holders[0] as WorkerRecord);
}
