/**
 * The engine's transitions into play, on top of its records (records.ts, which also releases
 * and forgets): the small named steps that move a task between states (make it needed, queue
 * it, send it to a worker, pipeline its dependents, fail it with its dependents, lose its data,
 * put it back to waiting). Replicated runs (`verify`) are in replicas.ts, worker faults in faults.ts; `Engine`
 * (engine.ts) turns events into sequences of these steps.
 *
 * Every state change goes through `transition` (state.ts), which checks it against the table;
 * every step keeps the invariants `validateState` checks; steps that cascade (release,
 * forget, erring dependents) use explicit stacks, never recursion, so a 1M-long chain is fine.
 */
import { BaskError } from '../errors.js';
import { estimateMicros, fairShare, isAllowed, pickWorker } from './policy.js';
import { EngineRecords, SCATTERED } from './records.js';
import { addHolder, assignTask, clearHolders, setHolders, transition } from './state.js';
import type { Fetch, Instruction, TaskRecord, WorkerRecord } from './types.js';

type ExecuteInstruction = Extract<Instruction, { type: 'execute' }>;

const NO_FETCH: readonly Fetch[] = Object.freeze([]);

/** The engine's transitions; see `Engine` for the events that drive them. */
export abstract class EngineCore extends EngineRecords {
  /** Sends the replicas a replicated task needs now; false when none could start. */
  protected abstract startReplicas(t: TaskRecord): boolean;
  /** Gives replicated tasks in `needRuns` the replicas hosts have room for now. */
  protected abstract retryReplicas(): void;

  // ---- transitions into activity -----------------------------------------------------------

  /** released -> waiting (or queued, or erred), and the same for released dependencies. */
  protected makeNeeded(root: TaskRecord): void {
    // A batch calls this per task in priority order, its dependencies already needed: the
    // stack is made only when a released dependency is met.
    let stack: TaskRecord[] | undefined;
    let t: TaskRecord | undefined = root;
    while (t !== undefined) {
      if (t.state === 'released') stack = this.needOne(t, stack);
      t = stack?.pop();
    }
  }

  /** One released task made needed; its released dependencies go on `stack` (made on need). */
  private needOne(t: TaskRecord, stack: TaskRecord[] | undefined): TaskRecord[] | undefined {
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
      return stack;
    }
    const failed = erredDependency(t);
    if (failed !== undefined) {
      this.toErred(t, failed.error, failed.blame);
      return stack;
    }
    transition(t, 'waiting');
    t.waitingOn = 0;
    const deps = t.dependencies;
    for (let i = 0; i < deps.length; i++) {
      const dep = deps[i] as TaskRecord;
      dep.waiters++;
      if (dep.state !== 'memory') {
        t.waitingOn++;
        if (dep.state === 'released') (stack ??= []).push(dep);
      }
    }
    if (t.waitingOn === 0) this.toQueued(t);
    return stack;
  }

  protected toQueued(t: TaskRecord): void {
    transition(t, 'queued');
    this.queue.push(t);
  }

  /**
   * Assigns queued tasks to workers with room, best first, until none has room. Replicated
   * tasks already running that need more replicas go first.
   */
  protected schedule(): void {
    this.placementDeferred = false;
    if (this.needRuns.size > 0) this.retryReplicas();
    const queue = this.queue;
    if (queue.size === 0) return;
    // Each placement moves a task from the queue to a worker: the share holds for the pass.
    const share = this.fairShare();
    let blocked: TaskRecord[] | undefined;
    let budget = this.placementsPerStep;
    while (queue.size > 0) {
      if (budget-- <= 0) {
        // The rest waits, in order, for the driver's next turn (`placement-resumed`).
        this.placementDeferred = true;
        break;
      }
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
      const w = pickWorker(
        t,
        this.workerList,
        this.previousRootWorker,
        this.policy,
        share,
        this.capacity,
      );
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
    const capacity = this.capacity;
    return fairShare(this.queue.size, capacity.processing, capacity.threads);
  }

  /** queued -> processing: the execute instruction, with what the worker must fetch. */
  protected toProcessing(t: TaskRecord, w: WorkerRecord): void {
    transition(t, 'processing');
    t.processingOn = w;
    t.estimate = estimateMicros(t.group, this.policy);
    assignTask(t, w);
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
      fetch.push(fetchFor(dep, w, move));
    }
    this.out.push(executeOn(t, w, fetch, t.liveDependents === 0));
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
      const dependents = t.dependents;
      for (let i = 0; i < dependents.length; i++) {
        const d = dependents[i] as TaskRecord;
        if (d.state !== 'waiting' || d.suspicious > 0 || !this.canPipeline(d, w)) continue;
        this.toProcessing(d, w);
        stack.push(d);
      }
    }
  }

  protected canPipeline(d: TaskRecord, w: WorkerRecord): boolean {
    const deps = d.dependencies;
    for (let i = 0; i < deps.length; i++) {
      const dep = deps[i] as TaskRecord;
      if (dep.state === 'memory') continue;
      if (dep.state !== 'processing' || dep.processingOn !== w) return false;
    }
    if (
      w.paused ||
      w.isolating !== null ||
      w.nprocessing >= w.nthreads * (this.policy.maxQueuePerThread + 1)
    )
      return false;
    if (d.options === null) return true;
    // A timed task's clock starts when it is sent; a replicated one needs distinct hosts.
    if (d.options.timeout !== undefined || this.isReplicated(d)) return false;
    return isAllowed(d, w, this.workerList);
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
      transition(t, 'erred');
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
    transition(t, 'released');
    t.error = undefined;
    t.blame = '';
    t.retriesLeft = t.options?.retries ?? 0;
  }

  /**
   * processing -> memory: `holders` (one worker, or a verified majority; a fresh list the task
   * keeps) hold the result and the inputs they fetched; dependents waiting on it move on;
   * clients that want it hear.
   */
  protected toMemory(t: TaskRecord, holders: WorkerRecord[], nbytes: number): void {
    transition(t, 'memory');
    t.nbytes = nbytes;
    setHolders(t, holders);
    const deps = t.dependencies;
    for (let i = 0; i < deps.length; i++) {
      const dep = deps[i] as TaskRecord;
      const held = dep.holders;
      if (held !== null)
        for (let h = 0; h < holders.length; h++) {
          const w = holders[h] as WorkerRecord;
          if (!held.includes(w)) addHolder(dep, w);
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
    const wantedBy = t.wantedBy;
    if (wantedBy !== null)
      for (let i = 0; i < wantedBy.length; i++) this.report(wantedBy[i] as string, t);
    else if (t.waiters === 0) this.releaseChecks.push(t);
  }

  /** processing -> waiting: the worker drops it, and the tasks pipelined behind it. */
  protected revertToWaiting(d: TaskRecord): void {
    const w = this.stopRuns(d);
    if (w !== null) this.unpipeline(d, w);
    transition(d, 'waiting');
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
    transition(t, 'waiting');
    t.waitingOn = 0;
    for (const dep of t.dependencies) if (dep.state !== 'memory') t.waitingOn++;
    if (t.waitingOn === 0) this.toQueued(t);
    else for (const dep of t.dependencies) if (dep.state === 'released') this.makeNeeded(dep);
  }

  /** memory -> released because no copy is left: recompute it if it is still needed. */
  protected lost(t: TaskRecord): void {
    transition(t, 'released');
    clearHolders(t);
    for (const d of t.dependents) {
      if (d.state === 'waiting') d.waitingOn++;
      else if (d.state === 'queued') {
        transition(d, 'waiting');
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
}

/** A dependency of `t` that failed, if any. */
function erredDependency(t: TaskRecord): TaskRecord | undefined {
  const deps = t.dependencies;
  for (let i = 0; i < deps.length; i++)
    if ((deps[i] as TaskRecord).state === 'erred') return deps[i];
  return undefined;
}

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

/**
 * How `w` gets `dep`'s data: from its nearest holder, with the verified hash to check when the
 * data crosses hosts (threads of one host trust each other).
 */
export function fetchFor(dep: TaskRecord, w: WorkerRecord, move: boolean): Fetch {
  const from = nearestHolder(dep.holders as WorkerRecord[], w);
  const hash = dep.checks?.accepted;
  return hash === undefined || from.host === w.host
    ? { key: dep.key, from: from.id, move }
    : { key: dep.key, from: from.id, move, hash };
}

/** The instruction that runs `t` on `w` after fetching `fetch` (`lastUse`: no dependent left). */
export function executeOn(
  t: TaskRecord,
  w: WorkerRecord,
  fetch: Fetch[],
  lastUse: boolean,
): ExecuteInstruction {
  const execute: ExecuteInstruction = {
    type: 'execute',
    worker: w.id,
    key: t.key,
    spec: t.spec,
    fetch,
    report: t.wantedBy !== null,
    lastUse,
  };
  if (t.options?.timeout !== undefined) execute.timeout = t.options.timeout;
  return execute;
}
