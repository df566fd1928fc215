/**
 * The worker pool: the engine driven with N workers (worker_threads in Node, Web Workers in
 * browsers). `Pool` is the API: one-shot runs for `get`/`compute` (with abort and per-task
 * timeouts), long-lived sessions for `Client.local`, stats. It composes the machinery: the
 * engine's driver and what it does with workers (pool-adapter.ts), the workers themselves
 * (pool-workers.ts).
 *
 * Policies: nothing is left hanging on close, abort, timeout or crash; idle workers do not
 * keep a Node process alive; a task past its timeout fails with ERR_TIMEOUT and its worker is
 * replaced.
 */
import { checkNumWorkers } from '../config.js';
import { abortedError, BaskError } from '../errors.js';
import { SCHEDULER_FUSE } from '../graph/fuse.js';
import { prepareGraph } from '../graph/prepare.js';
import type { EngineEvent } from '../engine/types.js';
import { now } from '../hooks.js';
import type { RunRequest, Scheduler } from '../scheduler.js';
import type { WorkerStats } from '../wire/pool-protocol.js';
import type { BackendEvents, ClusterInfo } from './backend.js';
import { Computation, distinctWanted } from './computation.js';
import { PoolAdapter, type PoolStats } from './pool-adapter.js';
import { PoolWorkers } from './pool-workers.js';
import type { PoolRuntime, PoolWorkerFactory } from './runtime.js';
import type { WorkerHandle } from './worker-handle.js';

/** Options of a {@link Pool}. */
export interface PoolOptions {
  /** How many workers (default: the machine's cores). */
  numWorkers?: number;
  /** The runtime to spawn workers with (default: the package entry's). */
  runtime?: PoolRuntime;
  /** Prefix of worker ids (default: the scheduler name, 'threads' or 'processes'). */
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
export class Pool implements Scheduler, AsyncDisposable {
  /** 'threads', or 'processes' on a runtime of worker processes. */
  readonly schedulerName: 'threads' | 'processes';
  /** How many workers the pool keeps running. */
  readonly numWorkers: number;
  private readonly core: PoolAdapter;
  private timer: ReturnType<typeof setInterval> | undefined;
  private nextClient = 0;

  constructor(options: PoolOptions = {}) {
    const runtime = withWorker(options.runtime ?? getPoolRuntime(), options.worker);
    const n = options.numWorkers ?? runtime.cores();
    checkNumWorkers(n, 'numWorkers');
    this.numWorkers = n;
    this.schedulerName = runtime.schedulerName ?? 'threads';
    const prefix = options.name ?? this.schedulerName;
    this.core = new PoolAdapter(
      (events) => new PoolWorkers(runtime, n, prefix, events),
      () => this.watchTimeouts(),
    );
  }

  /** Counters for tests and diagnostics. */
  get stats(): PoolStats {
    return this.core.stats;
  }

  private get workers(): ReadonlyMap<string, WorkerHandle> {
    return this.core.pool.workers;
  }

  private get closed(): boolean {
    return this.core.pool.isClosed;
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

  /**
   * Starts the workers now instead of at the first computation (as piscina's `minThreads`
   * does): a page can start them while its user picks files, and its first run then skips
   * their start (in Chromium, a few hundred milliseconds: bench/RESULTS.md). Resolves once
   * every worker is ready; idempotent.
   *
   * @throws {BaskError} ERR_POOL_CLOSED once the pool was closed.
   * @example
   * const pool = new Pool();
   * void pool.start(); // while the page loads
   */
  async start(): Promise<void> {
    if (this.closed)
      throw new BaskError('ERR_POOL_CLOSED', 'This pool was closed; create a new one');
    await this.core.pool.start();
  }

  async run(request: RunRequest): Promise<Map<string, unknown>> {
    const values = await this.runInOrder(request);
    return new Map(request.keys.map((key, i) => [key, values[i]]));
  }

  /**
   * @internal `run`, its values in the order of `request.keys`, which may repeat (no map by
   * key: see `get`).
   */
  async runInOrder(request: RunRequest): Promise<unknown[]> {
    if (this.closed)
      throw new BaskError('ERR_POOL_CLOSED', 'This pool was closed; create a new one');
    // Chains and narrow reductions fuse (fuse.ts): fewer, larger tasks for the same work.
    const fuse = request.fuse === false ? false : SCHEDULER_FUSE;
    const batch = prepareGraph(request.graph, request.keys, { fuse });
    const signal = request.signal;
    // Worker processes get frames over a pipe, where a File cannot go: its bytes go instead.
    if (this.schedulerName === 'processes') {
      const { readTaskBlobs } = await import('./process-blobs.js');
      const read = await abortable(readTaskBlobs(batch.specs), signal);
      if (read !== undefined) this.core.rememberBlobs(read);
    }
    await abortable(this.core.pool.start(), signal);
    if (this.closed)
      throw new BaskError('ERR_POOL_CLOSED', 'This pool was closed while it started');
    const client = `run-${this.nextClient++}`;
    const wanted = distinctWanted(request.keys, batch);
    const comp = new Computation(
      client,
      batch.keys,
      wanted.keys,
      request.callbacks,
      request.timeout,
      this.schedulerName,
    );
    this.core.addRun(comp);
    const onAbort = (): void => {
      comp.abort(signal?.reason);
      this.core.endRun(comp);
    };
    if (signal?.aborted === true) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    if (request.timeout !== undefined) this.watchTimeouts();
    try {
      const driver = this.core.driver;
      // Handled now (not queued behind a drain): its tasks are ranked from here.
      if (!driver.isDraining) comp.placed(driver.engine.ranksGiven, wanted.outputs);
      driver.submit([{ type: 'graph-submitted', client, batch, wanted: wanted.keys }]);
      const values = await comp.promise;
      const from = wanted.from;
      return from === undefined ? values : Array.from(from, (i) => values[i]);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.core.endRun(comp);
    }
  }

  /** Stops every worker; running computations reject with ERR_POOL_CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return;
    const { runs, sessions } = this.core;
    for (const comp of runs.values())
      comp.fail(new BaskError('ERR_POOL_CLOSED', 'The pool was closed during the computation'));
    for (const session of sessions.values())
      session.closed(new BaskError('ERR_POOL_CLOSED', 'The pool was closed'));
    sessions.clear();
    runs.clear();
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.core.pool.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---- sessions: long-lived clients (the futures API of Client.local) ----------------------

  /** Opens a long-lived client of this pool; see `PoolSession`. */
  async openSession(events: BackendEvents): Promise<string> {
    if (this.closed)
      throw new BaskError('ERR_POOL_CLOSED', 'This pool was closed; create a new one');
    await Promise.all([this.core.pool.start(), this.core.loadSessionOps()]);
    const client = `session-${this.nextClient++}`;
    this.core.sessions.set(client, events);
    this.core.pool.setActive(true);
    return client;
  }

  /**
   * Feeds a session's request to the engine, after any scatter in flight before it; resolves
   * once the engine took it, rejects with its refusal.
   */
  sessionEvent(event: EngineEvent): Promise<void> {
    return this.core.loadedSessionOps().event(event);
  }

  /** Workers and task states, for `client.info()`. */
  info(): ClusterInfo {
    const workers = [...this.core.engine.workers.values()].map((w) => ({
      id: w.id,
      nthreads: w.nthreads,
      host: w.host,
      keys: w.nkeys,
    }));
    return { workers, tasks: this.core.engine.countStates() };
  }

  /** Whether the engine knows a key (for futures passed as arguments). */
  knows(key: string): boolean {
    return this.core.engine.tasks.has(key);
  }

  /** The workers holding each key the engine knows, for `client.whoHas()`. */
  whoHas(keys: readonly string[]): Map<string, string[]> {
    return this.core.loadedSessionOps().whoHas(keys);
  }

  /** Values of keys in memory, gathered from the workers holding them. */
  async gatherKeys(keys: readonly string[]): Promise<Map<string, unknown>> {
    return (await this.core.loadSessionOps()).gather(keys);
  }

  /**
   * Places values on workers (round robin, or every worker when broadcasting; only on
   * `workers` when named); resolves once they hold them.
   */
  scatterKeys(
    client: string,
    keys: readonly string[],
    values: readonly unknown[],
    options: { workers?: readonly string[]; broadcast?: boolean },
  ): Promise<void> {
    return this.core.loadedSessionOps().scatter(client, keys, values, options);
  }

  /** Ends a session: its keys are released. */
  closeSession(client: string): void {
    if (!this.core.sessions.delete(client)) return;
    this.core.driver.submit([{ type: 'client-removed', client }]);
    this.core.idleWhenDone();
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
    const runs = this.core.runs;
    for (const h of [...this.workers.values()]) {
      const key = h.running();
      if (key === undefined) continue;
      let limit = this.core.engine.tasks.get(key)?.options?.timeout;
      if (limit !== undefined) anyLimit = true;
      for (const comp of runs.values()) {
        if (comp.timeout === undefined) continue;
        anyLimit = true;
        if (comp.keys.has(key)) limit = Math.min(limit ?? Infinity, comp.timeout);
      }
      if (limit !== undefined && t - h.headSince > limit) this.timeOut(h, key, limit);
    }
    if (
      !anyLimit &&
      ![...runs.values()].some((c) => c.timeout !== undefined) &&
      this.timer !== undefined
    ) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private timeOut(handle: WorkerHandle, key: string, limit: number): void {
    this.core.pool.stop(
      handle,
      new BaskError('ERR_TIMEOUT', `worker stopped: task '${key}' timed out`),
    );
    const error = new BaskError(
      'ERR_TIMEOUT',
      `Task '${key}' ran longer than its ${limit} ms timeout; its worker was stopped`,
      { key },
    );
    this.core.driver.submit([
      { type: 'task-erred', key, worker: handle.id, error },
      { type: 'worker-removed', worker: handle.id, reason: 'closed' },
    ]);
    this.core.pool.spawn().catch(() => undefined);
  }
}
