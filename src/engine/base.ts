/**
 * The engine's event layer: turns each event into transitions; every task runs once, on the
 * worker it was sent to. The local pool runs this class as it is. `Engine` (engine.ts) adds
 * the cluster's layers on top, host timeouts (timeouts.ts) and replication (replicas.ts),
 * kept apart so that an app's bundle, whose pool needs neither, leaves them out.
 *
 * Here the hooks those layers override say "none": without `replicate` (which this class
 * does not take) no task has replicas, and a pool times its tasks out itself, by stopping
 * the worker (a `task-timed-out` event is refused).
 */
import { BaskError } from '../errors.js';
import { NO_TASKS, SCATTERED, type EngineOptions } from './records.js';
import { SubmitCore } from './submit.js';
import { addHolder, transition } from './state.js';
import {
  TaskGroup,
  TaskRecord,
  type ClientId,
  type EngineEvent,
  type GraphSubmitted,
  type Instruction,
  type WorkerId,
  type WorkerRecord,
} from './types.js';
import { cancelledWith, erredLineage } from './requests.js';
import { errorVote } from './verify.js';

/** A result as a replica reports it (an error's `hash` is its vote, verify.ts). */
export interface ReplicaResult {
  hash: string;
  nbytes: number;
  duration: number;
  error?: unknown;
}

/** Options of a {@link BaseEngine}: those of `Engine` without `replicate`. */
export type BaseEngineOptions = Omit<EngineOptions, 'replicate'>;

/** The scheduling state machine without replication (see `Engine` for it). */
export class BaseEngine extends SubmitCore {
  // `replicate` is kept out of the type: this class has no replicas to run.
  constructor(options: BaseEngineOptions = {}) {
    super(options);
  }

  /** Takes one event; returns what drivers must do now. */
  handle(event: EngineEvent): Instruction[] {
    this.out = [];
    this.apply(event);
    this.schedule();
    this.flushFrees();
    this.validate?.(this);
    return this.out;
  }

  /** Takes several events at once (a worker's batch of completions); one set of instructions. */
  handleMany(events: readonly EngineEvent[]): Instruction[] {
    this.out = [];
    for (let i = 0; i < events.length; i++) this.apply(events[i] as EngineEvent);
    this.schedule();
    this.flushFrees();
    this.validate?.(this);
    return this.out;
  }

  private apply(event: EngineEvent): void {
    switch (event.type) {
      case 'graph-submitted':
        if (event.onRefused === undefined) return this.graphSubmitted(event);
        // A refused submission leaves no record behind (graphSubmitted checks before it
        // changes anything): the other events of the step go on.
        try {
          return this.graphSubmitted(event);
        } catch (error) {
          return event.onRefused(error);
        }
      case 'task-finished':
        return this.taskFinished(event.key, event.worker, event.nbytes, event.duration, event.hash);
      case 'task-erred':
        return this.taskErred(event.key, event.worker, event.error, event.duration ?? 0);
      case 'task-missing-data':
        return this.taskMissingData(event.key, event.worker, event.missing, event.forged);
      case 'task-timed-out':
        return this.taskTimedOut(event.key, event.worker);
      case 'worker-added':
        return this.workerAdded(
          event.worker,
          event.nthreads,
          event.resources ?? {},
          event.host ?? event.worker,
        );
      case 'worker-paused': {
        const w = this.workers.get(event.worker);
        if (w !== undefined) {
          w.paused = event.paused;
          this.capacity.update(w);
        }
        return;
      }
      case 'worker-removed':
        return this.workerRemoved(event.worker, event.running, event.reason ?? 'crashed');
      case 'data-scattered':
        return this.dataScattered(event.client, event.key, event.worker, event.nbytes);
      case 'keys-released':
        for (const key of event.keys) this.unwant(event.client, this.tasks.get(key));
        return this.drainReleaseChecks();
      case 'keys-cancelled':
        return this.keysCancelled(event.client, event.keys);
      case 'keys-retried':
        return this.keysRetried(event.keys);
      case 'client-removed':
        return this.clientRemoved(event.client);
      case 'placement-resumed':
        return; // the step's schedule() places the next slice
    }
  }

  // ---- cancel and retry (requests.ts) -------------------------------------------------------

  /**
   * The client stops wanting `keys`; the dependents only it wants are cancelled with them,
   * each reported to it as erred with ERR_CANCELLED (the keys themselves it cancelled itself).
   */
  private keysCancelled(client: ClientId, keys: readonly string[]): void {
    const roots: TaskRecord[] = [];
    for (const key of keys) {
      const t = this.tasks.get(key);
      if (t !== undefined) roots.push(t);
    }
    for (const { task: t, root } of cancelledWith(roots, client)) {
      if (t.wantedBy === null) continue;
      const error = new BaskError(
        'ERR_CANCELLED',
        `Future '${t.key}' was cancelled: it depends on '${root}', which was cancelled`,
        { key: t.key },
      );
      this.out.push({ type: 'report', client, key: t.key, state: 'erred', error, blame: t.key });
      this.unwant(client, t);
    }
    for (const t of roots) this.unwant(client, t);
    this.drainReleaseChecks();
  }

  /** Erred keys run again, with the erred tasks their failure came from. */
  private keysRetried(keys: readonly string[]): void {
    for (const key of keys) {
      const t = this.tasks.get(key);
      if (t === undefined || t.state !== 'erred') continue;
      for (const u of erredLineage(t)) this.clearError(u);
      this.makeNeeded(t);
    }
  }

  // ---- results ------------------------------------------------------------------------------

  private taskFinished(
    key: string,
    workerId: WorkerId,
    nbytes: number,
    duration: number,
    hash: string | undefined,
  ): void {
    const w = this.workers.get(workerId);
    const t = this.taskOf(key, w);
    if (w === undefined) {
      if (t !== undefined && hash !== undefined)
        this.lateResult(t, workerId, { hash, nbytes, duration });
      return;
    }
    if (t === undefined || t.state !== 'processing' || t.processingOn !== w) {
      if (t !== undefined && this.runsReplica(t, w)) {
        this.replicaDone(t, w, { hash: hash ?? 'no hash', nbytes, duration });
        this.drainReleaseChecks();
        return;
      }
      if (t !== undefined && hash !== undefined)
        this.lateResult(t, workerId, { hash, nbytes, duration });
      // Stale: cancelled, reassigned or already done. Nobody tracks this copy: drop it.
      if (t === undefined || t.holders === null || !t.holders.includes(w)) this.freeOn(w, key);
      return;
    }
    this.leaveWorker(t);
    t.group.observe(duration);
    w.tasksDone++;
    this.toMemory(t, [w], nbytes);
    this.drainReleaseChecks();
  }

  private taskErred(key: string, workerId: WorkerId, error: unknown, duration: number): void {
    const w = this.workers.get(workerId);
    const t = this.tasks.get(key);
    if (t !== undefined && t.checks !== null && (w === undefined || t.processingOn !== w)) {
      const result = { hash: errorVote(error), nbytes: 0, duration, error };
      if (w !== undefined && this.runsReplica(t, w)) {
        this.replicaDone(t, w, result);
        this.drainReleaseChecks();
      } else {
        this.lateResult(t, workerId, result);
      }
      return;
    }
    if (w === undefined || t === undefined || t.state !== 'processing' || t.processingOn !== w)
      return;
    this.leaveWorker(t);
    t.group.observe(duration);
    if (t.retriesLeft > 0) {
      t.retriesLeft--;
      this.unpipeline(t, w);
      this.toQueued(t);
      return;
    }
    this.toErred(t, error, key);
    this.drainReleaseChecks();
  }

  // ---- scattered data ---------------------------------------------------------------------

  private dataScattered(client: ClientId, key: string, workerId: WorkerId, nbytes: number): void {
    const w = this.workers.get(workerId);
    if (w === undefined)
      throw new BaskError(
        'ERR_NO_WORKERS',
        `Cannot scatter '${key}' to unknown worker '${workerId}'`,
      );
    let t = this.tasks.get(key);
    if (t === undefined) {
      t = new TaskRecord(key, SCATTERED, NO_TASKS, this.nextRank++, this.groupOf(key));
      this.tasks.set(key, t);
    }
    if (t.state === 'released' || t.state === 'erred') {
      transition(t, 'memory');
      t.error = undefined;
      t.holders = [];
    }
    if (t.state === 'memory' && t.holders !== null && !t.holders.includes(w)) {
      if (t.holders.length === 0) t.nbytes = nbytes;
      addHolder(t, w);
    }
    this.want(client, t);
  }

  // ---- the cluster's layers: none here (timeouts.ts and replicas.ts override these) ---------

  /** A run went past its timeout on a host: only `Engine` moves runs between hosts. */
  protected taskTimedOut(key: string, _workerId: WorkerId): void {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `task-timed-out ('${key}') needs Engine: BaseEngine leaves time limits to its driver`,
      { key },
    );
  }

  /** Refuses a batch whose `verify` can never be satisfied (only called when replicating). */
  protected checkVerify(_event: GraphSubmitted): void {}

  protected startReplicas(_t: TaskRecord): boolean {
    return false;
  }

  protected stopReplicas(_t: TaskRecord): void {}

  protected retryReplicas(): void {}

  protected runsReplica(_t: TaskRecord, _w: WorkerRecord): boolean {
    return false;
  }

  protected leaveReplica(_t: TaskRecord, _w: WorkerRecord): void {}

  protected replicaDone(_t: TaskRecord, _w: WorkerRecord, _result: ReplicaResult): void {}

  protected decide(_t: TaskRecord, _last?: WorkerRecord): void {}

  /** Only verified results carry hashes to check, and only a verification quarantines. */
  protected dataForged(_key: string, _from: WorkerId): void {}

  /** A result from a worker not running the task: only a verification checks those. */
  protected lateResult(_t: TaskRecord, _workerId: string, _result: ReplicaResult): void {}

  // ---- views for drivers and diagnostics --------------------------------------------------

  /** The states of all known tasks, counted. */
  countStates(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const t of this.tasks.values()) counts[t.state] = (counts[t.state] ?? 0) + 1;
    return counts;
  }

  /** The known task groups with their mean durations (seconds). */
  taskGroups(): ReadonlyMap<string, TaskGroup> {
    return this.groups;
  }
}
