/**
 * The worker pool: the engine driven with N workers (worker_threads in Node, Web Workers in
 * browsers). `Pool` is the API: one-shot runs for `get`/`compute` (with abort and per-task
 * timeouts), long-lived sessions for `Client.local`, stats; the machinery (workers, engine
 * loop, messages) is in pool-base.ts.
 *
 * Policies: one engine for the pool's life (concurrent computations share workers and equal
 * keys); results a client wants travel back with their completion (moved, not copied, on their
 * last use); nothing is left hanging on close, abort, timeout or crash; idle workers do not
 * keep a Node process alive. Sessions' heavier operations (pool-sessions.ts) load with the
 * first session.
 */
import { checkNumWorkers } from '../config.js';
import { abortedError, BaskError, taskFailed } from '../errors.js';
import { prepareGraph } from '../graph/prepare.js';
import type { EngineEvent, Instruction } from '../engine/types.js';
import { now } from '../hooks.js';
import type { RunRequest, Scheduler } from '../scheduler.js';
import type { TaskResult, WorkerStats } from '../wire/pool-protocol.js';
import type { BackendEvents, ClusterInfo } from './backend.js';
import { Computation } from './computation.js';
import { PoolBase } from './pool-base.js';
import type { PoolSessions } from './pool-sessions.js';
import type { PoolRuntime, PoolWorkerFactory } from './runtime.js';
import type { WorkerHandle } from './worker-handle.js';

/** Options of a {@link Pool}. */
export interface PoolOptions {
  /** How many workers (default: the machine's cores). */
  numWorkers?: number;
  /** The runtime to spawn workers with (default: the package entry's). */
  runtime?: PoolRuntime;
  /** Prefix of worker ids (default 'threads'). */
  name?: string;
  /**
   * Makes each worker, for apps whose task modules a bundler builds: a worker of the app's own,
   * whose entry imports its task modules and calls `startWorker` from `bask/worker`. In the
   * bundler's own pattern, so it needs no configuration:
   * `() => new Worker(new URL('./bask.worker.ts', import.meta.url), { type: 'module' })`.
   * Default: bask's own worker.
   */
  worker?: PoolWorkerFactory;
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

/** `runtime`, spawning the app's workers when it gave a factory. */
function withWorker(runtime: PoolRuntime, create: PoolWorkerFactory | undefined): PoolRuntime {
  if (create === undefined) return runtime;
  if (typeof create !== 'function') {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `Pool option 'worker' must be a function that returns a new Worker, got ${typeof create}`,
    );
  }
  return { ...runtime, spawn: (name) => runtime.spawn(name, create) };
}

/** Waits for `promise`, or rejects with ERR_ABORTED as soon as `signal` aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  const aborted = (): BaskError => abortedError(signal.reason);
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
export class Pool extends PoolBase implements Scheduler, AsyncDisposable {
  readonly schedulerName = 'threads';
  private timer: ReturnType<typeof setInterval> | undefined;
  /** Loaded by the first `openSession`: every session operation comes after one. */
  private sessionOps: PoolSessions | undefined;

  constructor(options: PoolOptions = {}) {
    const runtime = withWorker(options.runtime ?? getPoolRuntime(), options.worker);
    const n = options.numWorkers ?? runtime.cores();
    checkNumWorkers(n, 'numWorkers');
    super(runtime, n, options.name ?? 'threads');
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

  protected report(ins: Extract<Instruction, { type: 'report' }>): void {
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

  // ---- sessions: long-lived clients (the futures API of Client.local) ----------------------

  /** Opens a long-lived client of this pool; see `PoolSession`. */
  async openSession(events: BackendEvents): Promise<string> {
    if (this.closed)
      throw new BaskError('ERR_POOL_CLOSED', 'This pool was closed; create a new one');
    await Promise.all([this.start(), this.loadSessionOps()]);
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
    return (await this.loadSessionOps()).gather(keys);
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
    this.loadedSessionOps().scatter(client, handles, keys, values, broadcast);
  }

  /** Ends a session: its keys are released. */
  closeSession(client: string): void {
    if (!this.sessions.delete(client)) return;
    this.submit([{ type: 'client-removed', client }]);
    if (this.runs.size === 0 && this.sessions.size === 0) this.setActive(false);
  }

  protected sessionTaskEvents(worker: string, results: readonly TaskResult[]): void {
    this.sessionOps?.taskEvents(this.sessions.values(), worker, results);
  }

  /** The session operations: `openSession` loaded them before any session could call for them. */
  private loadedSessionOps(): PoolSessions {
    if (this.sessionOps === undefined)
      throw new BaskError('ERR_INVALID_ARGUMENT', 'No session was opened on this pool');
    return this.sessionOps;
  }

  private async loadSessionOps(): Promise<PoolSessions> {
    if (this.sessionOps === undefined) {
      const { PoolSessions } = await import('./pool-sessions.js');
      this.sessionOps ??= new PoolSessions({
        engine: this.engine,
        workers: this.workers,
        values: this.values,
        stats: this.stats,
        queue: (event) => this.events.push(event),
        submit: (events) => this.submit(events),
      });
    }
    return this.sessionOps;
  }

  private endRun(comp: Computation): void {
    if (this.runs.get(comp.client) !== comp) return;
    this.runs.delete(comp.client);
    this.submit([{ type: 'client-removed', client: comp.client }]);
    if (this.runs.size === 0 && this.sessions.size === 0) this.setActive(false);
  }

  // ---- timeouts -----------------------------------------------------------------------------

  /** A task with its own `timeout` (Client.local's submit) starts the watch too. */
  protected override dispatch(ins: Extract<Instruction, { type: 'execute' }>, t: number): void {
    super.dispatch(ins, t);
    if (ins.timeout !== undefined) this.watchTimeouts();
  }

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
      let limit = this.engine.tasks.get(key)?.options?.timeout;
      if (limit !== undefined) anyLimit = true;
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
