/**
 * The worker pool: the engine driven with N workers (worker_threads in Node, Web Workers in
 * browsers). This file is the I/O shell around the engine: it starts workers, turns their
 * messages into engine events, and carries out the engine's instructions in batches.
 *
 * Policies: one engine for the pool's life (concurrent computations share workers and equal
 * keys); tasks go out in one batch per worker per engine step; results a client wants travel
 * back with their completion (moved, not copied, on their last use); a worker that dies is
 * replaced and the engine reschedules its work; nothing is left hanging on close, abort,
 * timeout or crash. Idle workers do not keep a Node process alive.
 */
import * as Comlink from 'comlink';
import { Engine } from '../engine/engine.js';
import type { EngineEvent, Instruction } from '../engine/types.js';
import { BaskError, deserializeError, taskFailed } from '../errors.js';
import { prepareGraph } from '../graph/prepare.js';
import { emit, now } from '../hooks.js';
import type { RunRequest, Scheduler } from '../scheduler.js';
import { decodeWithImports } from '../wire/clone.js';
import type { FromWorker, TaskResult, WorkerStats } from '../wire/pool-protocol.js';
import { Computation } from './computation.js';
import type { PoolRuntime } from './runtime.js';
import { WorkerHandle } from './worker-handle.js';
import { importTaskModule } from '../worker/builtins.js';
import { sizeof } from '../worker/sizeof.js';
import type { BackendEvents, ClusterInfo, Report } from './backend.js';

/** Options of a {@link Pool}. */
export interface PoolOptions {
  /** How many workers (default: the machine's cores). */
  numWorkers?: number;
  /** The runtime to spawn workers with (default: the package entry's). */
  runtime?: PoolRuntime;
  /** Prefix of worker ids (default 'threads'). */
  name?: string;
}

let defaultRuntime: PoolRuntime | undefined;

/** Sets the runtime pools use by default (the package entry does this once). */
export function setPoolRuntime(runtime: PoolRuntime): void {
  defaultRuntime = runtime;
}

/** The default runtime, or an error telling how to get one. */
export function getPoolRuntime(): PoolRuntime {
  if (defaultRuntime === undefined)
    throw new BaskError('ERR_UNKNOWN_SCHEDULER', "No worker runtime installed: import from 'bask'");
  return defaultRuntime;
}

const MAX_START_FAILURES = 3;
const importModule = importTaskModule;

/** Waits for `promise`, or rejects with ERR_ABORTED as soon as `signal` aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  const aborted = (): BaskError =>
    new BaskError('ERR_ABORTED', 'The computation was aborted', { cause: signal.reason });
  if (signal.aborted) return Promise.reject(aborted());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(aborted());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: Error) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** A pool of workers behind the engine; a `Scheduler` for `get`/`compute`. */
export class Pool implements Scheduler, AsyncDisposable {
  readonly schedulerName = 'threads';
  readonly numWorkers: number;
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
  private readonly runtime: PoolRuntime;
  private readonly prefix: string;
  private readonly engine = new Engine();
  private readonly workers = new Map<string, WorkerHandle>();
  private readonly runs = new Map<string, Computation>();
  private readonly values = new Map<string, unknown>();
  private starting: Promise<void> | undefined;
  private closed = false;
  private spawnCount = 0;
  private startFailures = 0;
  private nextClient = 0;
  private events: EngineEvent[] = [];
  private draining = false;
  private timer: ReturnType<typeof setInterval> | undefined;
  private decoding = new Map<WorkerHandle, Promise<void>>();
  private readonly sessions = new Map<string, BackendEvents>();
  private scatterCount = 0;

  constructor(options: PoolOptions = {}) {
    this.runtime = options.runtime ?? getPoolRuntime();
    const n = options.numWorkers ?? this.runtime.cores();
    if (!Number.isInteger(n) || n < 1) {
      throw new BaskError(
        'ERR_INVALID_ARGUMENT',
        `numWorkers must be a positive integer, got ${String(n)}`,
      );
    }
    this.numWorkers = n;
    this.prefix = options.name ?? 'threads';
  }

  /** What each live worker did (tests and diagnostics). */
  async workerStats(): Promise<Record<string, WorkerStats>> {
    const entries = await Promise.all(
      [...this.workers.values()].map(async (h) => [h.id, await h.remote.stats()] as const),
    );
    return Object.fromEntries(entries);
  }

  /** Ids of the live workers. */
  get workerIds(): string[] {
    return [...this.workers.keys()];
  }

  async run(request: RunRequest): Promise<Map<string, unknown>> {
    if (this.closed)
      throw new BaskError('ERR_POOL_CLOSED', 'This pool was closed; create a new one');
    const batch = prepareGraph(request.graph, request.keys, { fuse: request.fuse ?? true });
    const signal = request.signal;
    await abortable(this.start(), signal);
    if (this.closed)
      throw new BaskError('ERR_POOL_CLOSED', 'This pool was closed while it started');
    const client = `run-${this.nextClient++}`;
    const comp = new Computation(
      client,
      new Set(batch.keys),
      request.keys,
      request.callbacks,
      request.timeout,
      this.schedulerName,
    );
    this.runs.set(client, comp);
    this.setActive(true);
    const onAbort = (): void => {
      comp.abort(signal?.reason);
      this.endRun(comp);
    };
    if (signal?.aborted === true) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    if (request.timeout !== undefined) this.watchTimeouts();
    try {
      this.submit([{ type: 'graph-submitted', client, batch, wanted: request.keys }]);
      return await comp.promise;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.endRun(comp);
    }
  }

  /** Stops every worker; running computations reject with ERR_POOL_CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const comp of this.runs.values())
      comp.fail(new BaskError('ERR_POOL_CLOSED', 'The pool was closed during the computation'));
    for (const session of this.sessions.values())
      session.closed(new BaskError('ERR_POOL_CLOSED', 'The pool was closed'));
    this.sessions.clear();
    this.runs.clear();
    if (this.timer !== undefined) clearInterval(this.timer);
    for (const h of this.workers.values())
      this.retire(h, new BaskError('ERR_POOL_CLOSED', 'pool closed'));
    this.workers.clear();
    await this.starting?.catch(() => undefined);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---- workers ------------------------------------------------------------------------------

  private start(): Promise<void> {
    this.starting ??= Promise.all(
      Array.from({ length: this.numWorkers }, () => this.spawnWorker()),
    ).then(() => undefined);
    return this.starting;
  }

  private async spawnWorker(): Promise<void> {
    const id = `${this.prefix}-${this.spawnCount++}`;
    const spawned = this.runtime.spawn(id);
    const { port1, port2 } = this.runtime.channel();
    const handle = new WorkerHandle(id, spawned, port1, (h, m) => this.onWorkerMessage(h, m));
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

  private async link(a: WorkerHandle, b: WorkerHandle): Promise<void> {
    const { port1, port2 } = this.runtime.channel();
    await Promise.all([
      a.remote.connect(
        b.id,
        Comlink.transfer(port1 as unknown as MessagePort, [port1 as unknown as Transferable]),
      ),
      b.remote.connect(
        a.id,
        Comlink.transfer(port2 as unknown as MessagePort, [port2 as unknown as Transferable]),
      ),
    ]);
  }

  private onWorkerExit(handle: WorkerHandle, error: Error | undefined): void {
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
  private retire(handle: WorkerHandle, reason: Error): void {
    handle.retired = true;
    handle.spawned.terminate();
    handle.dispose(reason);
    if (!this.closed) this.disconnectPeers(handle.id);
  }

  private disconnectPeers(id: string): void {
    for (const other of this.workers.values()) {
      if (!other.retired) other.remote.disconnect(id).catch(() => undefined);
    }
  }

  private setActive(active: boolean): void {
    for (const h of this.workers.values()) {
      h.spawned.setActive(active);
      if (active) h.taskPort.ref?.();
      else h.taskPort.unref?.();
    }
  }

  // ---- the engine loop ----------------------------------------------------------------------

  private submit(events: EngineEvent[]): void {
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

  private apply(instructions: Instruction[]): void {
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

  private dispatch(ins: Extract<Instruction, { type: 'execute' }>, t: number): void {
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
  private reportMode(ins: Extract<Instruction, { type: 'execute' }>): 0 | 1 | 2 {
    if (!ins.report) return 0;
    if (!ins.lastUse) return 1;
    const wanters = this.engine.tasks.get(ins.key)?.wantedBy ?? [];
    return wanters.every((c) => this.runs.has(c)) ? 2 : 1;
  }

  private report(ins: Extract<Instruction, { type: 'report' }>): void {
    const session = this.sessions.get(ins.client);
    if (session !== undefined) {
      session.report(this.sessionReport(ins));
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
    if (this.values.has(ins.key)) {
      this.stats.valuesReturned++;
      this.deliver(comp, ins.key, this.values.get(ins.key));
      return;
    }
    const handle = this.workers.get(ins.worker);
    this.stats.gathers++;
    handle?.gather([ins.key], false).then(
      (values) => {
        if (values.has(ins.key)) this.deliver(comp, ins.key, values.get(ins.key));
      },
      // The holder died: the engine recomputes the key and reports it again.
      () => undefined,
    );
  }

  private deliver(comp: Computation, key: string, value: unknown): void {
    comp.deliver(key, value);
    this.events.push({ type: 'keys-released', client: comp.client, keys: [key] });
    if (comp.settled) this.endRun(comp);
    else if (!this.draining) this.submit([]);
  }

  private sessionReport(ins: Extract<Instruction, { type: 'report' }>): Report {
    if (ins.state === 'erred') {
      const error = taskFailed(ins.blame, ins.error);
      return { key: ins.key, state: 'erred', error, blame: ins.blame };
    }
    if (ins.state === 'lost') return { key: ins.key, state: 'lost' };
    const hasValue = this.values.has(ins.key);
    return {
      key: ins.key,
      state: 'memory',
      nbytes: ins.nbytes,
      value: this.values.get(ins.key),
      hasValue,
    };
  }

  // ---- sessions: long-lived clients (the futures API of Client.local) ----------------------

  /** Opens a long-lived client of this pool; see `PoolSession`. */
  async openSession(events: BackendEvents): Promise<string> {
    if (this.closed)
      throw new BaskError('ERR_POOL_CLOSED', 'This pool was closed; create a new one');
    await this.start();
    const client = `session-${this.nextClient++}`;
    this.sessions.set(client, events);
    this.setActive(true);
    return client;
  }

  /** Feeds a session's request to the engine. */
  sessionEvent(event: EngineEvent): void {
    this.submit([event]);
  }

  /** Workers and task states, for `client.info()`. */
  info(): ClusterInfo {
    const workers = [...this.engine.workers.values()].map((w) => ({
      id: w.id,
      nthreads: w.nthreads,
      host: w.host,
      keys: w.nkeys,
    }));
    return { workers, tasks: this.engine.countStates() };
  }

  /** Whether the engine knows a key (for futures passed as arguments). */
  knows(key: string): boolean {
    return this.engine.tasks.has(key);
  }

  /** Values of keys in memory, gathered from the workers holding them. */
  async gatherKeys(keys: readonly string[]): Promise<Map<string, unknown>> {
    const byWorker = new Map<WorkerHandle, string[]>();
    for (const key of keys) {
      const holder = this.engine.tasks.get(key)?.holders?.[0];
      const handle = holder === undefined ? undefined : this.workers.get(holder.id);
      if (handle === undefined) continue;
      const list = byWorker.get(handle);
      if (list === undefined) byWorker.set(handle, [key]);
      else list.push(key);
    }
    const out = new Map<string, unknown>();
    await Promise.all(
      [...byWorker].map(async ([handle, list]) => {
        this.stats.gathers++;
        const values = await handle.gather(list, false).catch(() => new Map<string, unknown>());
        for (const [k, v] of values) out.set(k, v);
      }),
    );
    return out;
  }

  /** Places values on workers (round robin, or every worker when broadcasting). */
  scatterKeys(
    client: string,
    keys: readonly string[],
    values: readonly unknown[],
    broadcast: boolean,
  ): void {
    const handles = [...this.workers.values()];
    if (handles.length === 0)
      throw new BaskError('ERR_NO_WORKERS', 'No pool workers to scatter to');
    keys.forEach((key, i) => {
      const targets = broadcast
        ? handles
        : [handles[this.scatterCount++ % handles.length] as WorkerHandle];
      for (const h of targets) {
        h.put([key], [values[i]]);
        this.events.push({
          type: 'data-scattered',
          client,
          key,
          worker: h.id,
          nbytes: sizeof(values[i]),
        });
      }
    });
    this.submit([]);
  }

  /** Ends a session: its keys are released. */
  closeSession(client: string): void {
    if (!this.sessions.delete(client)) return;
    this.submit([{ type: 'client-removed', client }]);
    if (this.runs.size === 0 && this.sessions.size === 0) this.setActive(false);
  }

  private endRun(comp: Computation): void {
    if (this.runs.get(comp.client) !== comp) return;
    this.runs.delete(comp.client);
    this.submit([{ type: 'client-removed', client: comp.client }]);
    if (this.runs.size === 0 && this.sessions.size === 0) this.setActive(false);
  }

  // ---- worker messages ----------------------------------------------------------------------

  private onWorkerMessage(handle: WorkerHandle, message: FromWorker): void {
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

  private takeResults(handle: WorkerHandle, results: TaskResult[]): void {
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

  private sessionTaskEvents(worker: string, results: readonly TaskResult[]): void {
    const events = results
      .filter((r) => r.missing === undefined)
      .map((r) => ({
        key: r.key,
        worker,
        start: r.start,
        end: r.end,
        ...(r.error !== undefined ? { error: true } : {}),
      }));
    for (const session of this.sessions.values()) session.taskEvents?.(events);
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

  // ---- timeouts -----------------------------------------------------------------------------

  private watchTimeouts(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.checkTimeouts(), 20);
    (this.timer as { unref?: () => void }).unref?.();
  }

  private checkTimeouts(): void {
    const t = now();
    let anyLimit = false;
    for (const h of [...this.workers.values()]) {
      const key = h.running();
      if (key === undefined) continue;
      let limit: number | undefined;
      for (const comp of this.runs.values()) {
        if (comp.timeout === undefined) continue;
        anyLimit = true;
        if (comp.keys.has(key)) limit = Math.min(limit ?? Infinity, comp.timeout);
      }
      if (limit !== undefined && t - h.headSince > limit) this.timeOut(h, key, limit);
    }
    if (
      !anyLimit &&
      ![...this.runs.values()].some((c) => c.timeout !== undefined) &&
      this.timer !== undefined
    ) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private timeOut(handle: WorkerHandle, key: string, limit: number): void {
    this.workers.delete(handle.id);
    this.retire(handle, new BaskError('ERR_TIMEOUT', `worker stopped: task '${key}' timed out`));
    const error = new BaskError(
      'ERR_TIMEOUT',
      `Task '${key}' ran longer than its ${limit} ms timeout; its worker was stopped`,
      { key },
    );
    this.submit([
      { type: 'task-erred', key, worker: handle.id, error },
      { type: 'worker-removed', worker: handle.id, reason: 'closed' },
    ]);
    this.spawnWorker().catch(() => undefined);
  }
}
