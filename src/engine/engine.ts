/**
 * The engine: bask's one scheduling state machine. Events in, instructions out; no I/O, no
 * timers, no clocks. The sync scheduler, the worker pool and the cluster scheduler all drive
 * this class, so they share one semantics and one place to make fast.
 *
 * Task life cycle (named transitions, see TRANSITIONS):
 *
 *   released ──> waiting ──> queued ──> processing ──> memory ──> released ──> forgotten
 *                   │           │           │  ▲          │
 *                   └───────────┴───────────┴──┴─> erred ─┘ (a failure, shared by dependents)
 *
 * Invariants (checked by `validateState`): a task counts toward `dep.waiters` exactly while it
 * is waiting, queued or processing; data is released as soon as no waiter and no client needs
 * it; a released task is forgotten once no live dependent can need it again.
 */
import { BaskError } from '../errors.js';
import type { GraphBatch } from '../graph/prepare.js';
import { ReadyQueue } from './queue.js';
import { DEFAULT_POLICY, estimateMicros, isAllowed, pickWorker, type Policy } from './policy.js';
import {
  TaskGroup,
  TaskRecord,
  WorkerRecord,
  type ClientId,
  type EngineEvent,
  type Fetch,
  type GraphSubmitted,
  type Instruction,
  type TaskOptions,
  type WorkerId,
} from './types.js';
import { validateState } from './validate.js';

/** Options for {@link Engine}. */
export interface EngineOptions {
  /** Policy tunables (queue depth, bandwidth, strict order for sync). */
  policy?: Partial<Policy>;
  /** Run `validateState` after every event (tests; slow). */
  validate?: boolean;
  /** A task that was running on this many workers when they died fails with ERR_KILLED_WORKER. */
  allowedFailures?: number;
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
  'erred->forgotten',
]);

/** The spec of data that was placed directly (scattered): it has no lineage to recompute. */
export const SCATTERED: unique symbol = Symbol('bask.scattered');

const NO_FETCH: readonly Fetch[] = Object.freeze([]);
const NO_TASKS: TaskRecord[] = [];

function runsBefore(a: TaskRecord, b: TaskRecord): boolean {
  const pa = a.options?.priority ?? 0;
  const pb = b.options?.priority ?? 0;
  return pa !== pb ? pa > pb : a.rank < b.rank;
}

/** The scheduling state machine. */
export class Engine {
  readonly tasks = new Map<string, TaskRecord>();
  readonly workers = new Map<WorkerId, WorkerRecord>();
  readonly queue = new ReadyQueue<TaskRecord>(runsBefore);
  readonly clientWants = new Map<ClientId, Set<TaskRecord>>();
  readonly policy: Policy;
  private workerList: WorkerRecord[] = [];
  private readonly groups = new Map<string, TaskGroup>();
  private nextRank = 0;
  private out: Instruction[] = [];
  private readonly freeing = new Map<WorkerRecord, string[]>();
  private readonly releaseChecks: TaskRecord[] = [];
  private previousRootWorker: WorkerRecord | undefined;
  private lastGroup: TaskGroup | undefined;
  private readonly validate: boolean;
  private readonly allowedFailures: number;

  constructor(options: EngineOptions = {}) {
    this.policy = { ...DEFAULT_POLICY, ...options.policy };
    this.validate = options.validate ?? false;
    this.allowedFailures = options.allowedFailures ?? 3;
  }

  /** Takes one event; returns what drivers must do now. */
  handle(event: EngineEvent): Instruction[] {
    this.out = [];
    this.apply(event);
    this.schedule();
    this.flushFrees();
    if (this.validate) validateState(this);
    return this.out;
  }

  /** Takes several events at once (a worker's batch of completions); one set of instructions. */
  handleMany(events: readonly EngineEvent[]): Instruction[] {
    this.out = [];
    for (const event of events) this.apply(event);
    this.schedule();
    this.flushFrees();
    if (this.validate) validateState(this);
    return this.out;
  }

  private apply(event: EngineEvent): void {
    switch (event.type) {
      case 'graph-submitted':
        return this.graphSubmitted(event);
      case 'task-finished':
        return this.taskFinished(event.key, event.worker, event.nbytes, event.duration);
      case 'task-erred':
        return this.taskErred(event.key, event.worker, event.error, event.duration ?? 0);
      case 'task-missing-data':
        return this.taskMissingData(event.key, event.worker, event.missing);
      case 'worker-added':
        return this.workerAdded(
          event.worker,
          event.nthreads,
          event.resources ?? {},
          event.host ?? event.worker,
        );
      case 'worker-removed':
        return this.workerRemoved(event.worker, event.running, event.reason ?? 'crashed');
      case 'data-scattered':
        return this.dataScattered(event.client, event.key, event.worker, event.nbytes);
      case 'keys-released':
        for (const key of event.keys) this.unwant(event.client, this.tasks.get(key));
        return this.drainReleaseChecks();
      case 'client-removed':
        for (const t of [...(this.clientWants.get(event.client) ?? [])])
          this.unwant(event.client, t);
        this.clientWants.delete(event.client);
        return this.drainReleaseChecks();
    }
  }

  // ---- submission -------------------------------------------------------------------------

  private graphSubmitted(event: GraphSubmitted): void {
    const { batch, client } = event;
    const base = this.nextRank;
    this.nextRank += batch.keys.length;
    const records = this.createRecords(batch, base, event);
    for (const key of event.wanted) {
      const t = this.tasks.get(key);
      if (t === undefined)
        throw new BaskError('ERR_MISSING_KEY', `Wanted key '${key}' is not in the graph`, { key });
      this.want(client, t);
    }
    // Everything in a batch is needed by what it wants (the submitter culled it).
    for (const t of records) if (t.state === 'released') this.makeNeeded(t);
    for (const key of event.wanted) {
      const t = this.tasks.get(key) as TaskRecord;
      if (t.state === 'memory') this.report(client, t);
      else if (t.state === 'erred') this.reportError(client, t);
    }
    this.drainReleaseChecks();
  }

  private createRecords(batch: GraphBatch, base: number, event: GraphSubmitted): TaskRecord[] {
    const { keys, specs, depStart, depList, external } = batch;
    // Check every external key first: a refused batch must leave no records behind.
    const externals = external.map((key) => this.externalTask(key, keys[0] ?? key));
    for (const key of event.wanted) {
      if (!this.tasks.has(key) && !keys.includes(key)) {
        throw new BaskError('ERR_MISSING_KEY', `Wanted key '${key}' is not in the graph`, { key });
      }
    }
    const records = new Array<TaskRecord>(keys.length);
    // A batch's keys are unique: an empty engine needs no lookup for existing records.
    const fresh = this.tasks.size === 0;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const existing = fresh ? undefined : this.tasks.get(key);
      if (existing !== undefined) {
        records[i] = existing;
        continue;
      }
      const from = depStart[i] as number;
      const to = depStart[i + 1] as number;
      const deps = to === from ? NO_TASKS : new Array<TaskRecord>(to - from);
      for (let e = from; e < to; e++) {
        const d = depList[e] as number;
        deps[e - from] = d >= 0 ? (records[d] as TaskRecord) : (externals[-d - 1] as TaskRecord);
      }
      const t = new TaskRecord(key, specs[i], deps, base + i, this.groupOf(key));
      const options = event.options?.get(key) ?? event.defaults;
      if (options !== undefined) this.setOptions(t, options);
      for (const dep of deps) {
        if (dep.liveDependents++ === 0 && dep.dependents.length === 0) dep.dependents = [t];
        else dep.dependents.push(t);
      }
      this.tasks.set(key, t);
      records[i] = t;
    }
    return records;
  }

  private externalTask(key: string, neededBy: string): TaskRecord {
    const t = this.tasks.get(key);
    if (t === undefined) {
      throw new BaskError(
        'ERR_MISSING_KEY',
        `Key '${key}' (needed by '${neededBy}') is not known here`,
        { key },
      );
    }
    return t;
  }

  private setOptions(t: TaskRecord, options: TaskOptions): void {
    t.options = options;
    t.retriesLeft = options.retries ?? 0;
  }

  private groupOf(key: string): TaskGroup {
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

  private want(client: ClientId, t: TaskRecord): void {
    if (t.wantedBy === null) t.wantedBy = [client];
    else if (!t.wantedBy.includes(client)) t.wantedBy.push(client);
    let wants = this.clientWants.get(client);
    if (wants === undefined) this.clientWants.set(client, (wants = new Set()));
    wants.add(t);
  }

  private unwant(client: ClientId, t: TaskRecord | undefined): void {
    if (t === undefined || t.wantedBy === null) return;
    const i = t.wantedBy.indexOf(client);
    if (i < 0) return;
    t.wantedBy.splice(i, 1);
    if (t.wantedBy.length === 0) t.wantedBy = null;
    this.clientWants.get(client)?.delete(t);
    this.releaseChecks.push(t);
  }

  // ---- transitions into activity -----------------------------------------------------------

  /** released -> waiting (or queued, or erred), and the same for released dependencies. */
  private makeNeeded(root: TaskRecord): void {
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

  private toQueued(t: TaskRecord): void {
    t.state = 'queued';
    this.queue.push(t);
  }

  /** Assigns queued tasks to workers with room, best first, until none has room. */
  private schedule(): void {
    const queue = this.queue;
    let blocked: TaskRecord[] | undefined;
    while (queue.size > 0) {
      const t = queue.peek() as TaskRecord;
      if (t.state !== 'queued') {
        queue.pop();
        continue;
      }
      const w = pickWorker(t, this.workerList, this.previousRootWorker, this.policy);
      if (w === undefined) {
        if (t.options === null && t.suspicious === 0) break;
        (blocked ??= []).push(queue.pop() as TaskRecord);
        continue;
      }
      queue.pop();
      this.toProcessing(t, w);
    }
    if (blocked !== undefined) for (const t of blocked) queue.push(t);
  }

  /** queued -> processing: the execute instruction, with what the worker must fetch. */
  private toProcessing(t: TaskRecord, w: WorkerRecord): void {
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
    this.out.push({
      type: 'execute',
      worker: w.id,
      key: t.key,
      spec: t.spec,
      fetch,
      report: t.wantedBy !== null,
      lastUse: t.liveDependents === 0,
    });
    if (!this.policy.exact) this.pipeline(t, w);
  }

  /**
   * Pipelining: a waiting task whose missing inputs are all processing on `w` goes to `w` now,
   * behind them in the worker's queue, instead of a round trip later. Workers run tasks in the
   * order received, so its inputs are there when it starts. It stays counted as waiting on them
   * (`waitingOn`) until they finish.
   */
  private pipeline(root: TaskRecord, w: WorkerRecord): void {
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

  private canPipeline(d: TaskRecord, w: WorkerRecord): boolean {
    for (const dep of d.dependencies) {
      if (dep.state === 'memory') continue;
      if (dep.state !== 'processing' || dep.processingOn !== w) return false;
    }
    if (w.isolating !== null || w.nprocessing >= w.nthreads * (this.policy.maxQueuePerThread + 1))
      return false;
    return d.options === null || isAllowed(d, w);
  }

  private holdResources(t: TaskRecord, w: WorkerRecord, sign: 1 | -1): void {
    const resources = t.options?.resources;
    if (resources === undefined) return;
    for (const [name, amount] of Object.entries(resources)) {
      w.usedResources.set(name, (w.usedResources.get(name) ?? 0) + sign * amount);
    }
  }

  /** Takes the task off its worker's books (processing -> anything). */
  private leaveWorker(t: TaskRecord): WorkerRecord | null {
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

  // ---- results ------------------------------------------------------------------------------

  private taskFinished(key: string, workerId: WorkerId, nbytes: number, duration: number): void {
    const w = this.workers.get(workerId);
    const t = this.tasks.get(key);
    if (w === undefined) return;
    if (t === undefined || t.state !== 'processing' || t.processingOn !== w) {
      // Stale: cancelled, reassigned or already done. Nobody tracks this copy: drop it.
      if (t === undefined || t.holders === null || !t.holders.includes(w)) this.freeOn(w, key);
      return;
    }
    this.leaveWorker(t);
    t.group.observe(duration);
    w.tasksDone++;
    t.state = 'memory';
    t.nbytes = nbytes;
    t.holders = [w];
    w.nkeys++;
    w.nbytes += nbytes;
    for (const dep of t.dependencies) {
      const holders = dep.holders;
      if (holders !== null && !holders.includes(w)) {
        holders.push(w);
        w.nkeys++;
        w.nbytes += dep.nbytes;
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
    this.drainReleaseChecks();
  }

  private taskErred(key: string, workerId: WorkerId, error: unknown, duration: number): void {
    const w = this.workers.get(workerId);
    const t = this.tasks.get(key);
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

  /** A task and every dependent still to run fail with the same error. */
  private toErred(root: TaskRecord, error: unknown, blame: string): void {
    const stack = [root];
    while (stack.length > 0) {
      const t = stack.pop() as TaskRecord;
      const active = t.state === 'waiting' || t.state === 'queued' || t.state === 'processing';
      if (!active && t.state !== 'released') continue;
      if (t.state === 'processing') {
        const w = this.leaveWorker(t);
        if (w !== null) this.out.push({ type: 'cancel-task', worker: w.id, key: t.key });
      }
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

  /** Leaving waiting/queued/processing: dependencies lose a waiter. */
  private deactivate(t: TaskRecord): void {
    for (const dep of t.dependencies) if (--dep.waiters === 0) this.releaseChecks.push(dep);
  }

  private report(client: ClientId, t: TaskRecord): void {
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

  private reportError(client: ClientId, t: TaskRecord): void {
    this.out.push({
      type: 'report',
      client,
      key: t.key,
      state: 'erred',
      error: t.error,
      blame: t.blame,
    });
  }

  // ---- workers and lost data ----------------------------------------------------------------

  private workerAdded(
    id: WorkerId,
    nthreads: number,
    resources: Readonly<Record<string, number>>,
    host: string,
  ): void {
    if (this.workers.has(id)) return;
    if (!(Number.isInteger(nthreads) && nthreads > 0)) {
      throw new BaskError(
        'ERR_INVALID_ARGUMENT',
        `Worker '${id}' must have a positive integer nthreads, got ${nthreads}`,
      );
    }
    const w = new WorkerRecord(id, nthreads, resources, host);
    this.workers.set(id, w);
    this.workerList = [...this.workers.values()];
  }

  private workerRemoved(
    id: WorkerId,
    running: readonly string[] | undefined,
    reason: 'crashed' | 'closed',
  ): void {
    const w = this.workers.get(id);
    if (w === undefined) return;
    this.workers.delete(id);
    this.workerList = [...this.workers.values()];
    if (this.previousRootWorker === w) this.previousRootWorker = undefined;
    this.freeing.delete(w);
    const processing: TaskRecord[] = [];
    const held: TaskRecord[] = [];
    for (const t of this.tasks.values()) {
      if (t.processingOn === w) processing.push(t);
      else if (t.holders !== null && t.holders.includes(w)) held.push(t);
    }
    for (const t of processing) {
      // A failure of an earlier task may already have taken this one off the worker.
      if (t.processingOn !== w) continue;
      this.leaveWorker(t);
      if (reason === 'crashed' && (running === undefined || running.includes(t.key)))
        t.suspicious++;
      if (t.suspicious >= this.allowedFailures) {
        const error = new BaskError(
          'ERR_KILLED_WORKER',
          `Task '${t.key}' was running on ${t.suspicious} workers that died (last: '${id}'); ` +
            'it probably crashes its worker (out of memory, process.exit, an infinite loop under a timeout).',
          { key: t.key },
        );
        this.toErred(t, error, t.key);
      } else {
        this.rewait(t);
      }
    }
    for (const t of held) {
      const holders = t.holders;
      if (holders === null) continue;
      const i = holders.indexOf(w);
      if (i >= 0) holders.splice(i, 1);
      if (holders.length === 0 && t.state === 'memory') this.lost(t);
    }
    this.drainReleaseChecks();
  }

  /** processing -> waiting: the worker drops it, and the tasks pipelined behind it. */
  private revertToWaiting(d: TaskRecord): void {
    const w = this.leaveWorker(d);
    if (w !== null) {
      this.out.push({ type: 'cancel-task', worker: w.id, key: d.key });
      this.unpipeline(d, w);
    }
    d.state = 'waiting';
    d.waitingOn = 0;
    for (const dep of d.dependencies) if (dep.state !== 'memory') d.waitingOn++;
  }

  /** Tasks pipelined on `w` behind `t` (which leaves `w` unfinished) go back to waiting. */
  private unpipeline(t: TaskRecord, w: WorkerRecord): void {
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
  private rewait(t: TaskRecord): void {
    t.state = 'waiting';
    t.waitingOn = 0;
    for (const dep of t.dependencies) if (dep.state !== 'memory') t.waitingOn++;
    if (t.waitingOn === 0) this.toQueued(t);
    else for (const dep of t.dependencies) if (dep.state === 'released') this.makeNeeded(dep);
  }

  /** memory -> released because no copy is left: recompute it if it is still needed. */
  private lost(t: TaskRecord): void {
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

  private taskMissingData(
    key: string,
    workerId: WorkerId,
    missing: readonly { key: string; from: WorkerId }[],
  ): void {
    const t = this.tasks.get(key);
    const w = this.workers.get(workerId);
    for (const m of missing) {
      const dep = this.tasks.get(m.key);
      const holder = this.workers.get(m.from);
      if (dep === undefined || holder === undefined || dep.holders === null) continue;
      const i = dep.holders.indexOf(holder);
      if (i >= 0) {
        dep.holders.splice(i, 1);
        holder.nkeys--;
        holder.nbytes -= dep.nbytes;
      }
      if (dep.holders.length === 0 && dep.state === 'memory') this.lost(dep);
    }
    if (t !== undefined && w !== undefined && t.state === 'processing' && t.processingOn === w) {
      this.leaveWorker(t);
      this.unpipeline(t, w);
      this.rewait(t);
    }
    this.drainReleaseChecks();
  }

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
      t.state = 'memory';
      t.error = undefined;
      t.holders = [];
    }
    if (t.state === 'memory' && t.holders !== null && !t.holders.includes(w)) {
      if (t.holders.length === 0) t.nbytes = nbytes;
      t.holders.push(w);
      w.nkeys++;
      w.nbytes += t.nbytes;
    }
    this.want(client, t);
  }

  // ---- release and forget -------------------------------------------------------------------

  private drainReleaseChecks(): void {
    const stack = this.releaseChecks;
    while (stack.length > 0) {
      const t = stack.pop() as TaskRecord;
      if (t.state === 'forgotten' || t.wantedBy !== null || t.waiters > 0) continue;
      switch (t.state) {
        case 'memory':
          this.freeData(t);
          break;
        case 'processing': {
          const w = this.leaveWorker(t);
          if (w !== null) this.out.push({ type: 'cancel-task', worker: w.id, key: t.key });
          this.deactivate(t);
          t.state = 'released';
          break;
        }
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
  private freeData(t: TaskRecord): void {
    for (const w of t.holders ?? NO_WORKERS) {
      w.nkeys--;
      w.nbytes -= t.nbytes;
      this.freeOn(w, t.key);
    }
    t.holders = null;
    t.state = 'released';
  }

  private freeOn(w: WorkerRecord, key: string): void {
    const keys = this.freeing.get(w);
    if (keys === undefined) this.freeing.set(w, [key]);
    else keys.push(key);
  }

  /** released/erred -> forgotten: the record goes, and dependencies may follow. */
  private forget(t: TaskRecord): void {
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
  }

  private flushFrees(): void {
    if (this.freeing.size === 0) return;
    for (const [w, keys] of this.freeing) this.out.push({ type: 'free-keys', worker: w.id, keys });
    this.freeing.clear();
  }

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

const NO_WORKERS: readonly WorkerRecord[] = [];

function nearestHolder(holders: readonly WorkerRecord[], w: WorkerRecord): WorkerRecord {
  if (holders.length === 1) return holders[0] as WorkerRecord;
  return holders.find((h) => h.host === w.host) ?? (holders[0] as WorkerRecord);
}
