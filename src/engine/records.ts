/**
 * The engine's records: tasks, workers, the ready queue, clients' wants, the instructions being
 * built; and the steps that take tasks out of play: stop their runs, report them, release what
 * nobody needs and forget what no one can need again (`drainReleaseChecks`). core.ts adds the
 * steps that bring tasks into play, on top of this class.
 *
 * Release is checked, not pushed: any step that may leave a task unneeded puts it on
 * `releaseChecks`; the drain releases it only if no client wants it and no active dependent
 * waits on it, then forgets it when it has no live dependents. The drain uses that list as a
 * stack, never recursion, so a 1M-long chain is fine.
 */
import { Capacity } from './capacity.js';
import { DEFAULT_POLICY, type Policy } from './policy.js';
import { ReadyQueue } from './queue.js';
import { clearHolders, transition, unassignTask } from './state.js';
import {
  TaskGroup,
  type CheckCounters,
  type ClientId,
  type Instruction,
  type TaskRecord,
  type WorkerId,
  type WorkerRecord,
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
  validate?: (engine: EngineRecords) => void;
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
  /**
   * Tasks placed from the queue per step at most (default: no limit). A step that reaches it
   * leaves the rest queued, in order, and says so (`hasDeferredPlacement`): a driver that
   * serves other connections resumes placement on a later turn (`placement-resumed`), so one
   * huge submission does not hold it for the whole placement (issue 17, 10,000 volunteers).
   */
  placementsPerStep?: number;
}

/** The spec of data that was placed directly (scattered): it has no lineage to recompute. */
export const SCATTERED: unique symbol = Symbol('bask.scattered');

/** A shared empty list of tasks (never mutated). */
export const NO_TASKS: TaskRecord[] = [];

function runsBefore(a: TaskRecord, b: TaskRecord): boolean {
  const pa = a.options?.priority ?? 0;
  const pb = b.options?.priority ?? 0;
  return pa !== pb ? pa > pb : a.rank < b.rank;
}

/**
 * The tasks a client wants, in the order it asked: `live` of them still wanted. A released
 * task stays listed until released ones are most of the list (no search per release); a task
 * wanted again after its release may be listed twice.
 */
export interface ClientWants {
  list: TaskRecord[];
  live: number;
}

/** The engine's records, and the steps that take tasks out of play (see core.ts for the rest). */
export abstract class EngineRecords {
  readonly tasks = new Map<string, TaskRecord>();
  readonly workers = new Map<WorkerId, WorkerRecord>();
  readonly queue = new ReadyQueue<TaskRecord>(runsBefore);
  /** Per client, the tasks it wants (see `ClientWants`). */
  readonly clientWants = new Map<ClientId, ClientWants>();
  readonly policy: Policy;
  protected workerList: WorkerRecord[] = [];
  /** Running totals over `workers` and the workers with room (capacity.ts). */
  readonly capacity: Capacity;
  protected readonly groups = new Map<string, TaskGroup>();
  protected nextRank = 0;

  /** Ranks given so far: the next batch's tasks are ranked from here, in batch order. */
  get ranksGiven(): number {
    return this.nextRank;
  }
  protected out: Instruction[] = [];
  /** Workers with keys to free in this step (each worker's `freeing`), in order of the first. */
  protected readonly freeing: WorkerRecord[] = [];
  protected readonly releaseChecks: TaskRecord[] = [];
  protected previousRootWorker: WorkerRecord | undefined;
  protected lastGroup: TaskGroup | undefined;
  protected readonly validate: ((engine: EngineRecords) => void) | undefined;
  protected readonly allowedFailures: number;
  protected readonly replicate: boolean;
  protected readonly placementsPerStep: number;
  /** Set by a step that stopped placing at `placementsPerStep` (see `hasDeferredPlacement`). */
  protected placementDeferred = false;
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
    forged: 0,
  };

  constructor(options: EngineOptions = {}) {
    this.policy = { ...DEFAULT_POLICY, ...options.policy };
    this.capacity = new Capacity(this.policy.targetQueueSeconds);
    this.validate = options.validate;
    this.allowedFailures = options.allowedFailures ?? 3;
    this.replicate = options.replicate ?? false;
    this.placementsPerStep = options.placementsPerStep ?? Infinity;
  }

  /**
   * Whether the last step stopped placing at `placementsPerStep` with tasks still queued that
   * might be placed now: send `placement-resumed` (on a later turn) to go on.
   */
  get hasDeferredPlacement(): boolean {
    return this.placementDeferred;
  }

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
      t.processingOn = null;
      unassignTask(t, w);
    }
    return w;
  }

  /** Leaving waiting/queued/processing: dependencies lose a waiter. */
  protected deactivate(t: TaskRecord): void {
    const deps = t.dependencies;
    for (let i = 0; i < deps.length; i++) {
      const dep = deps[i] as TaskRecord;
      if (--dep.waiters === 0) this.releaseChecks.push(dep);
    }
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
      rank: t.rank,
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
          transition(t, 'released');
          break;
        case 'waiting':
        case 'queued':
          this.deactivate(t);
          transition(t, 'released');
          break;
        default:
          break;
      }
      if (t.liveDependents === 0) this.forget(t);
    }
  }

  /** memory -> released: the holders drop the data. */
  protected freeData(t: TaskRecord): void {
    const holders = clearHolders(t);
    for (let i = 0; i < holders.length; i++) this.freeOn(holders[i] as WorkerRecord, t.key);
    transition(t, 'released');
  }

  protected freeOn(w: WorkerRecord, key: string): void {
    const keys = w.freeing;
    if (keys === null) {
      w.freeing = [key];
      this.freeing.push(w);
    } else keys.push(key);
  }

  /**
   * The live record of `key`, a result from worker `w`: found in `w`'s running tasks near the
   * one found last (results come in about the order sent), else by key.
   */
  protected taskOf(key: string, w: WorkerRecord | undefined): TaskRecord | undefined {
    return w?.processing.near(key) ?? this.tasks.get(key);
  }

  /** released/erred -> forgotten: the record goes, and dependencies may follow. */
  protected forget(t: TaskRecord): void {
    if (t.state !== 'released' && t.state !== 'erred') return;
    this.tasks.delete(t.key);
    transition(t, 'forgotten');
    const deps = t.dependencies;
    for (let i = 0; i < deps.length; i++) {
      const dep = deps[i] as TaskRecord;
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
    const freeing = this.freeing;
    if (freeing.length === 0) return;
    for (let i = 0; i < freeing.length; i++) {
      const w = freeing[i] as WorkerRecord;
      const keys = w.freeing;
      // null: the worker left in this step (faults.ts), its frees dropped with it.
      if (keys !== null) this.out.push({ type: 'free-keys', worker: w.id, keys });
      w.freeing = null;
    }
    freeing.length = 0;
  }

  /** Ends a replicated task's runs: running ones are cancelled, unaccepted results freed. */
  protected abstract stopReplicas(t: TaskRecord): void;
}
