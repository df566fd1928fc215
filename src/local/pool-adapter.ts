/**
 * The pool's adapter to the driver shell (engine/driver.ts): instructions become batched
 * messages to workers, workers' results become engine events (decoded in order per worker),
 * reports settle the pool's runs (one-shot `get`/`compute` calls) and reach its sessions
 * (`Client.local`), and hooks hear task starts and ends.
 *
 * Policies: one engine for the pool's life (concurrent computations share workers and equal
 * keys); results a client wants travel back with their completion, moved (not copied) on
 * their last use when only one-shot runs want them; each worker's batch goes out once the
 * drains of this turn of the event loop are over (wire/next-turn.ts): the results of both
 * workers that arrived together cost one message each way, not one per results message.
 * A run's delivered keys are released one event per engine step, and without sessions every
 * wanter is a run (no lookup per task). Sessions' heavier operations (pool-sessions.ts) load
 * with the first session.
 *
 * Invariants: results of a worker no longer in the pool are dropped (the engine already moved
 * its work); an unshippable function fails its task before anything is sent.
 */
import { BaseEngine } from '../engine/base.js';
import { Driver, type DriverAdapter, type Execute, type Report } from '../engine/driver.js';

type MemoryReport = Extract<Report, { state: 'memory' }>;
import { BaskError, deserializeError, taskFailed } from '../errors.js';
import { emit, now } from '../hooks.js';
import { decodeWithImports } from '../wire/clone.js';
import type { FromWorker, TaskResult } from '../wire/pool-protocol.js';
import { importTaskModule } from '../worker/builtins.js';
import type { BackendEvents } from './backend.js';
import type { Computation } from './computation.js';
import type { PoolSessions } from './pool-sessions.js';
import type { PoolWorkerEvents, PoolWorkers } from './pool-workers.js';
import type { WorkerHandle } from './worker-handle.js';
import { afterThisTurn } from '../wire/next-turn.js';

/** Counters of a pool, for tests and diagnostics. */
export interface PoolStats {
  /** Messages of tasks sent to workers. */
  batches: number;
  /** Messages of results received from workers. */
  resultMessages: number;
  tasksSent: number;
  fetches: number;
  valuesReturned: number;
  gathers: number;
  workersStarted: number;
  workersLost: number;
}

/** The engine side of a pool: its driver, runs and sessions. */
export class PoolAdapter implements DriverAdapter, PoolWorkerEvents {
  /** Every task runs once here: `verify` is the cluster's (replication is not loaded). */
  readonly driver = new Driver(new BaseEngine(), this);
  readonly runs = new Map<string, Computation>();
  readonly sessions = new Map<string, BackendEvents>();
  readonly stats: PoolStats = {
    batches: 0,
    resultMessages: 0,
    tasksSent: 0,
    fetches: 0,
    valuesReturned: 0,
    gathers: 0,
    workersStarted: 0,
    workersLost: 0,
  };
  /** Loaded by the first session: every session operation comes after one. */
  private sessionOps: PoolSessions | undefined;
  private readonly decoding = new Map<WorkerHandle, Promise<void>>();
  private flushPending = false;
  /** Per run, the keys delivered in this engine step: the queued `keys-released` event's list. */
  private readonly releasing = new Map<Computation, string[]>();
  /**
   * Bytes of the Files and Blobs in runs' tasks, read before the run starts, where workers
   * cannot receive a Blob (processes: frames over a pipe). Weak: they go with their Blobs.
   */
  private blobs: WeakMap<Blob, Uint8Array> | undefined;

  /** Records Files' and Blobs' bytes that tasks will carry instead of the Blobs. */
  rememberBlobs(read: ReadonlyMap<Blob, Uint8Array>): void {
    this.blobs ??= new WeakMap();
    for (const [blob, bytes] of read) this.blobs.set(blob, bytes);
  }

  /** The pool's workers, which tell this adapter what they do. */
  readonly pool: PoolWorkers;

  constructor(
    makeWorkers: (events: PoolWorkerEvents) => PoolWorkers,
    /** Told when a task with its own `timeout` is sent (the pool starts its watch). */
    private readonly timedTaskSent: () => void,
  ) {
    this.pool = makeWorkers(this);
  }

  /** The engine (read-only uses: info, timeouts, sessions). */
  get engine(): BaseEngine {
    return this.driver.engine;
  }

  // ---- instructions ---------------------------------------------------------------------------

  execute(ins: Execute): void {
    const handle = this.pool.workers.get(ins.worker);
    if (handle === undefined) return;
    const t = now();
    try {
      handle.enqueue(ins, this.reportMode(ins), t, this.blobs);
    } catch (error) {
      this.driver.queue({ type: 'task-erred', key: ins.key, worker: ins.worker, error });
      return;
    }
    this.stats.tasksSent++;
    this.stats.fetches += ins.fetch.length;
    for (const comp of this.runs.values()) {
      if (comp.hooks.length > 0 && comp.keys.has(ins.key))
        emit(comp.hooks, 'taskStart', { key: ins.key, worker: ins.worker, time: t });
    }
    if (ins.timeout !== undefined) this.timedTaskSent();
  }

  freeKeys(ins: { worker: string; keys: readonly string[] }): void {
    this.pool.workers.get(ins.worker)?.freeKeys(ins.keys);
  }

  cancelTask(ins: { worker: string; key: string }): void {
    this.pool.workers.get(ins.worker)?.cancelTask(ins.key);
  }

  report(ins: Report): void {
    const session = this.sessions.get(ins.client);
    if (session !== undefined) {
      session.report(this.loadedSessionOps().report(ins));
      return;
    }
    const comp = this.runs.get(ins.client);
    if (comp === undefined || comp.settled) return;
    if (ins.state === 'erred') {
      comp.fail(taskFailed(ins.blame, ins.error));
      this.endRun(comp);
      return;
    }
    if (ins.state === 'lost') return;
    const sent = this.driver.sentValue(ins.key, ins.worker);
    if (sent !== undefined) {
      this.stats.valuesReturned++;
      this.deliver(comp, ins, sent.value);
      return;
    }
    const handle = this.pool.workers.get(ins.worker);
    this.stats.gathers++;
    handle?.gather([ins.key], false).then(
      (values) => {
        if (values.has(ins.key)) this.deliver(comp, ins, values.get(ins.key));
      },
      // The holder died: the engine recomputes the key and reports it again.
      () => undefined,
    );
  }

  /** Each worker's batch goes out once this turn's drains are over (see the header). */
  drained(): void {
    if (this.flushPending) return;
    this.flushPending = true;
    afterThisTurn(() => {
      this.flushPending = false;
      this.flushAll();
    });
  }

  private flushAll(): void {
    let measure = false;
    for (const r of this.runs.values()) if (r.measure) measure = true;
    for (const h of this.pool.workers.values()) if (h.flush(measure)) this.stats.batches++;
  }

  /** 2 (give the value away) only when every client that wants it is a one-shot run. */
  private reportMode(ins: Execute): 0 | 1 | 2 {
    if (!ins.report) return 0;
    if (!ins.lastUse) return 1;
    // Every client is a run or a session: without sessions, every wanter is a run.
    if (this.sessions.size === 0) return 2;
    const wanters = this.engine.tasks.get(ins.key)?.wantedBy ?? [];
    return wanters.every((c) => this.runs.has(c)) ? 2 : 1;
  }

  // ---- runs -----------------------------------------------------------------------------------

  /** Starts a one-shot run's bookkeeping (its graph is submitted by the caller). */
  addRun(comp: Computation): void {
    this.runs.set(comp.client, comp);
    this.pool.setActive(true);
  }

  /** Ends a run (settled, aborted): its keys are released. */
  endRun(comp: Computation): void {
    if (this.runs.get(comp.client) !== comp) return;
    this.runs.delete(comp.client);
    this.driver.submit([{ type: 'client-removed', client: comp.client }]);
    this.idleWhenDone();
  }

  /** Lets idle workers stop holding the process open once nothing runs. */
  idleWhenDone(): void {
    if (this.runs.size === 0 && this.sessions.size === 0) this.pool.setActive(false);
  }

  /**
   * Hands a run its value and lets the engine release the key (its last one ends the run,
   * which releases everything). The keys delivered in one engine step go in one event.
   */
  private deliver(comp: Computation, ins: MemoryReport, value: unknown): void {
    const key = ins.key;
    comp.deliver(key, value, ins.rank);
    if (comp.settled) {
      this.endRun(comp);
      return;
    }
    let keys = this.releasing.get(comp);
    if (keys === undefined) {
      keys = [];
      this.releasing.set(comp, keys);
      this.driver.queue({ type: 'keys-released', client: comp.client, keys });
    }
    keys.push(key);
    if (!this.driver.isDraining) this.driver.submit([]);
  }

  /** After each engine step: the next step's deliveries go in new events. */
  stepped(): void {
    if (this.releasing.size > 0) this.releasing.clear();
  }

  // ---- workers --------------------------------------------------------------------------------

  joined(handle: WorkerHandle): void {
    this.stats.workersStarted++;
    this.driver.submit([{ type: 'worker-added', worker: handle.id, nthreads: 1, host: 'local' }]);
  }

  died(handle: WorkerHandle, running: string | undefined): void {
    this.stats.workersLost++;
    this.driver.submit([
      {
        type: 'worker-removed',
        worker: handle.id,
        running: running === undefined ? [] : [running],
        reason: 'crashed',
      },
    ]);
  }

  failing(error: unknown): void {
    for (const comp of this.runs.values()) comp.fail(error);
  }

  busy(): boolean {
    return this.runs.size > 0;
  }

  // ---- worker messages ------------------------------------------------------------------------

  /** A message from a worker's task port. */
  message(handle: WorkerHandle, message: FromWorker): void {
    if (message.type !== 'results' || this.pool.workers.get(handle.id) !== handle) return;
    this.stats.resultMessages++;
    const previous = this.decoding.get(handle);
    if (!message.marked && previous === undefined) {
      this.takeResults(handle, message.results);
      return;
    }
    // Values with registered types may need imports: keep this worker's results in order.
    const next = (previous ?? Promise.resolve())
      .then(() =>
        decodeWithImports(
          message.results.map((r) => r.value),
          importTaskModule,
        ),
      )
      .then(
        (values) => {
          message.results.forEach((r, i) => {
            r.value = (values as unknown[])[i];
          });
          this.takeResults(handle, message.results);
        },
        (error: unknown) => {
          for (const r of message.results)
            if (r.hasValue === true)
              r.error = { name: 'BaskError', message: String(error), code: 'ERR_SERIALIZE' };
          this.takeResults(handle, message.results);
        },
      )
      .finally(() => {
        if (this.decoding.get(handle) === next) this.decoding.delete(handle);
      });
    this.decoding.set(handle, next);
  }

  private takeResults(handle: WorkerHandle, results: TaskResult[]): void {
    if (this.pool.workers.get(handle.id) !== handle) return;
    const t = now();
    for (const r of results) handle.answered(r.key, t);
    this.driver.queueResults(handle.id, results);
    if (this.runs.size > 0) for (const r of results) this.taskEndHooks(handle.id, r);
    if (this.sessions.size > 0)
      this.sessionOps?.taskEvents(this.sessions.values(), handle.id, results);
    this.driver.submit([]);
  }

  private taskEndHooks(worker: string, r: TaskResult): void {
    for (const comp of this.runs.values()) {
      if (comp.hooks.length === 0 || !comp.keys.has(r.key) || r.missing !== undefined) continue;
      const event = { key: r.key, worker, start: r.start, end: r.end, duration: r.end - r.start };
      emit(
        comp.hooks,
        'taskEnd',
        r.error === undefined ? event : { ...event, error: deserializeError(r.error) },
      );
    }
  }

  // ---- sessions -------------------------------------------------------------------------------

  /** The session operations, loaded once (the first `openSession` awaits this). */
  async loadSessionOps(): Promise<PoolSessions> {
    if (this.sessionOps === undefined) {
      const { PoolSessions } = await import('./pool-sessions.js');
      this.sessionOps ??= new PoolSessions(this.driver, this.pool.workers, this.stats);
    }
    return this.sessionOps;
  }

  /** The session operations: `openSession` loaded them before any session could call for them. */
  loadedSessionOps(): PoolSessions {
    if (this.sessionOps === undefined)
      throw new BaskError('ERR_INVALID_ARGUMENT', 'No session was opened on this pool');
    return this.sessionOps;
  }
}
