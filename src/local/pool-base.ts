/**
 * The worker pool's machinery, below the `Pool` API: starting and linking workers (replacing
 * any that die), the engine loop (events in, instructions out, one batch per worker per step),
 * and worker messages (results in order, values decoded, hooks fired).
 *
 * Invariants: a worker is known to the engine only once it is started and linked to every
 * other worker; a dead worker's pending gathers settle; an unshippable function fails its
 * task before anything is sent.
 */
import * as Comlink from 'comlink';
import { BaseEngine } from '../engine/base.js';
import type { EngineEvent, Instruction } from '../engine/types.js';
import { BaskError, deserializeError } from '../errors.js';
import { emit, now } from '../hooks.js';
import { decodeWithImports } from '../wire/clone.js';
import type { FromWorker, TaskResult } from '../wire/pool-protocol.js';
import { importTaskModule } from '../worker/builtins.js';
import type { BackendEvents } from './backend.js';
import type { Computation } from './computation.js';
import type { PoolRuntime } from './runtime.js';
import { WorkerHandle } from './worker-handle.js';
import { RunningSlot, newRunningSlot } from '../worker/running-slot.js';

const MAX_START_FAILURES = 3;
const importModule = importTaskModule;

/** Workers and the engine loop; `Pool` adds runs, sessions and timeouts. */
export abstract class PoolBase {
  /** Counters for tests and diagnostics. */
  readonly stats = {
    batches: 0,
    tasksSent: 0,
    fetches: 0,
    valuesReturned: 0,
    gathers: 0,
    workersStarted: 0,
    workersLost: 0,
  };
  /** How many workers the pool keeps running. */
  readonly numWorkers: number;

  constructor(
    protected readonly runtime: PoolRuntime,
    numWorkers: number,
    protected readonly prefix: string,
  ) {
    this.numWorkers = numWorkers;
  }

  /** Every task runs once here: `verify` is the cluster's (replication is not loaded). */
  protected readonly engine = new BaseEngine();
  protected readonly workers = new Map<string, WorkerHandle>();
  protected readonly runs = new Map<string, Computation>();
  protected readonly values = new Map<string, unknown>();
  protected starting: Promise<void> | undefined;
  protected closed = false;
  protected spawnCount = 0;
  protected startFailures = 0;
  protected nextClient = 0;
  protected events: EngineEvent[] = [];
  protected draining = false;
  protected decoding = new Map<WorkerHandle, Promise<void>>();
  protected readonly sessions = new Map<string, BackendEvents>();

  // ---- workers ------------------------------------------------------------------------------

  protected start(): Promise<void> {
    this.starting ??= Promise.all(
      Array.from({ length: this.numWorkers }, () => this.spawnWorker()),
    ).then(() => undefined);
    return this.starting;
  }

  protected async spawnWorker(): Promise<void> {
    const id = `${this.prefix}-${this.spawnCount++}`;
    const spawned = this.runtime.spawn(id);
    const { port1, port2 } = this.runtime.channel();
    const memory = newRunningSlot();
    const handle = new WorkerHandle(
      id,
      spawned,
      port1,
      (h, m) => this.onWorkerMessage(h, m),
      memory === undefined ? undefined : new RunningSlot(memory),
    );
    const exited = new Promise<never>((_, reject) => {
      spawned.onExit((error) => {
        reject(
          new BaskError(
            'ERR_WORKER_CRASHED',
            `Pool worker '${id}' exited while starting: ${error?.message ?? 'no reason given'}`,
            { cause: error },
          ),
        );
        this.onWorkerExit(handle, error);
      });
    });
    exited.catch(() => undefined);
    try {
      await Promise.race([
        handle.remote.init(
          id,
          Comlink.transfer(port2 as unknown as MessagePort, [port2 as unknown as Transferable]),
          memory === undefined ? {} : { runningSlot: memory },
        ),
        exited,
      ]);
      const others = [...this.workers.values()];
      this.workers.set(id, handle);
      await Promise.race([Promise.all(others.map((o) => this.link(handle, o))), exited]);
    } catch (error) {
      this.workers.delete(id);
      if (++this.startFailures >= MAX_START_FAILURES && this.workers.size === 0) {
        for (const comp of this.runs.values()) comp.fail(error);
      }
      throw error;
    }
    if (this.closed || !this.workers.has(id)) return;
    this.startFailures = 0;
    this.stats.workersStarted++;
    handle.spawned.setActive(this.runs.size > 0);
    if (this.runs.size === 0) port1.unref?.();
    this.submit([{ type: 'worker-added', worker: id, nthreads: 1, host: 'local' }]);
  }

  /** Links two workers for direct data exchange; done early when either exits meanwhile. */
  protected async link(a: WorkerHandle, b: WorkerHandle): Promise<void> {
    const { port1, port2 } = this.runtime.channel();
    // Comlink never settles a call to a worker that exits: a link to a dead one just ends.
    const linked = Promise.all([
      a.remote.connect(
        b.id,
        Comlink.transfer(port1 as unknown as MessagePort, [port1 as unknown as Transferable]),
      ),
      b.remote.connect(
        a.id,
        Comlink.transfer(port2 as unknown as MessagePort, [port2 as unknown as Transferable]),
      ),
    ]).then(() => undefined);
    await Promise.race([linked, a.exited, b.exited]);
  }

  protected onWorkerExit(handle: WorkerHandle, error: Error | undefined): void {
    if (this.closed || handle.retired || this.workers.get(handle.id) !== handle) return;
    this.workers.delete(handle.id);
    this.stats.workersLost++;
    const running = handle.running();
    handle.dispose(
      new BaskError('ERR_WORKER_CRASHED', `Pool worker '${handle.id}' died`, { cause: error }),
    );
    this.disconnectPeers(handle.id);
    this.submit([
      {
        type: 'worker-removed',
        worker: handle.id,
        running: running === undefined ? [] : [running],
        reason: 'crashed',
      },
    ]);
    this.spawnWorker().catch(() => undefined);
  }

  /** Ends a worker on purpose (close, timeout): its exit is not a crash. */
  protected retire(handle: WorkerHandle, reason: Error): void {
    handle.retired = true;
    handle.spawned.terminate();
    handle.dispose(reason);
    if (!this.closed) this.disconnectPeers(handle.id);
  }

  protected disconnectPeers(id: string): void {
    for (const other of this.workers.values()) {
      if (!other.retired) other.remote.disconnect(id).catch(() => undefined);
    }
  }

  protected setActive(active: boolean): void {
    for (const h of this.workers.values()) {
      h.spawned.setActive(active);
      if (active) h.taskPort.ref?.();
      else h.taskPort.unref?.();
    }
  }

  // ---- the engine loop ----------------------------------------------------------------------

  protected submit(events: EngineEvent[]): void {
    for (const e of events) this.events.push(e);
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.events.length > 0) {
        const batch = this.events;
        this.events = [];
        this.apply(this.engine.handleMany(batch));
      }
    } finally {
      this.draining = false;
      this.values.clear();
    }
    const measure = [...this.runs.values()].some((r) => r.measure);
    for (const h of this.workers.values()) if (h.flush(measure)) this.stats.batches++;
  }

  protected apply(instructions: Instruction[]): void {
    const t = now();
    for (const ins of instructions) {
      switch (ins.type) {
        case 'execute':
          this.dispatch(ins, t);
          break;
        case 'free-keys':
          this.workers.get(ins.worker)?.freeKeys(ins.keys);
          break;
        case 'cancel-task':
          this.workers.get(ins.worker)?.cancelTask(ins.key);
          break;
        case 'report':
          this.report(ins);
          break;
      }
    }
  }

  protected dispatch(ins: Extract<Instruction, { type: 'execute' }>, t: number): void {
    const handle = this.workers.get(ins.worker);
    if (handle === undefined) return;
    try {
      handle.enqueue(ins, this.reportMode(ins), t);
    } catch (error) {
      this.events.push({ type: 'task-erred', key: ins.key, worker: ins.worker, error });
      return;
    }
    this.stats.tasksSent++;
    this.stats.fetches += ins.fetch.length;
    for (const comp of this.runs.values()) {
      if (comp.hooks.length > 0 && comp.keys.has(ins.key))
        emit(comp.hooks, 'taskStart', { key: ins.key, worker: ins.worker, time: t });
    }
  }

  /** 2 (give the value away) only when every client that wants it is a one-shot run. */
  protected reportMode(ins: Extract<Instruction, { type: 'execute' }>): 0 | 1 | 2 {
    if (!ins.report) return 0;
    if (!ins.lastUse) return 1;
    const wanters = this.engine.tasks.get(ins.key)?.wantedBy ?? [];
    return wanters.every((c) => this.runs.has(c)) ? 2 : 1;
  }

  // ---- worker messages ----------------------------------------------------------------------

  protected onWorkerMessage(handle: WorkerHandle, message: FromWorker): void {
    if (message.type !== 'results' || this.workers.get(handle.id) !== handle) return;
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
          importModule,
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

  protected takeResults(handle: WorkerHandle, results: TaskResult[]): void {
    if (this.workers.get(handle.id) !== handle) return;
    const t = now();
    const events: EngineEvent[] = [];
    for (const r of results) {
      handle.answered(r.key, t);
      const duration = (r.end - r.start) / 1000;
      if (r.error !== undefined) {
        events.push({
          type: 'task-erred',
          key: r.key,
          worker: handle.id,
          error: deserializeError(r.error),
          duration,
        });
      } else if (r.missing !== undefined) {
        events.push({
          type: 'task-missing-data',
          key: r.key,
          worker: handle.id,
          missing: r.missing,
        });
      } else {
        if (r.hasValue === true) this.values.set(r.key, r.value);
        events.push({
          type: 'task-finished',
          key: r.key,
          worker: handle.id,
          nbytes: r.nbytes ?? 0,
          duration,
        });
      }
      this.taskEndHooks(handle.id, r);
    }
    if (this.sessions.size > 0) this.sessionTaskEvents(handle.id, results);
    this.submit(events);
  }

  /** Tells open sessions' task streams what `worker` ran (sessions live in `Pool`). */
  protected abstract sessionTaskEvents(worker: string, results: readonly TaskResult[]): void;

  protected taskEndHooks(worker: string, r: TaskResult): void {
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

  /** Carries out a report instruction (runs and sessions live in `Pool`). */
  protected abstract report(ins: Extract<Instruction, { type: 'report' }>): void;
}
