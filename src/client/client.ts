/**
 * `Client`: the futures API (dask.distributed's Client) over a backend that is either a
 * `bask scheduler` across a WebSocket (`Client.connect`) or a pool in this process
 * (`Client.local`). A client is also a scheduler for `get` and `compute`, and the default one
 * while it is open (unless `setAsDefault: false`).
 *
 * Policy: submissions are checked here (unshippable functions are refused at submit, before
 * anything is sent); keys are released when their last future goes (explicitly or on GC);
 * closing settles every pending future with ERR_CLIENT_CLOSED.
 */
import { checkCacheOption, resultCacheOf, type CacheOption } from '../cache/options.js';
import type { ResultCache } from '../cache/result-cache.js';
import { setDefaultClient, unsetDefaultClient } from '../config.js';
import type { TaskOptions } from '../engine/types.js';
import { BaskError, deserializeError } from '../errors.js';
import { emit, now, type Callbacks } from '../hooks.js';
import type { GraphView } from '../graph/analyze.js';
import { prepareGraph, type GraphBatch } from '../graph/prepare.js';
import { Pool } from '../local/pool.js';
import type { Backend, BackendEvents, ClusterInfo, Report } from '../local/backend.js';
import type { RunRequest, Scheduler } from '../scheduler.js';
import { checkShippable } from './shippable.js';
import { Future, KeyState, type FutureOwner } from './future.js';
import { LocalBackend } from './local.js';
import { RemoteBackend } from './remote.js';
import {
  buildSubmission,
  checkTaskOptions,
  mapCalls,
  taskOptionsOf,
  submitCall,
  type Call,
  findFutures,
  replaceFutures,
  type SubmitTaskOptions,
} from './submission.js';

/** Options of `Client.connect`. */
export interface ClientOptions {
  /** A name for the scheduler's logs and dashboard. */
  name?: string;
  /** The scheduler's client token (`bask scheduler --client-token`). */
  token?: string;
  /**
   * Node only: certificate authorities to trust for `wss://` (PEM text), e.g. the certificate
   * of a scheduler started with a self-signed `--tls-cert`. Browsers use their own trust store;
   * Node processes can also set NODE_EXTRA_CA_CERTS.
   */
  ca?: string | readonly string[];
  /** Become the default scheduler of `compute`/`get` while open (default true). */
  setAsDefault?: boolean;
  /** Give up connecting after this many milliseconds (default 10,000). */
  timeout?: number;
  /**
   * Reuse results of `compute`/`get` run through this client, kept in IndexedDB (browsers):
   * `'indexeddb'` or a `ResultCache` (see the `cache` option of `compute`, which wins).
   */
  cache?: CacheOption;
}

/** Options of `Client.local`. */
export interface LocalClientOptions extends Omit<ClientOptions, 'token' | 'ca'> {
  /** Worker threads of the in-process cluster (default: the machine's cores). */
  numWorkers?: number;
  /** Use this pool instead of starting one (it is not closed with the client). */
  pool?: Pool;
}

/** A connection to a cluster: futures, gather, scatter, and a scheduler for `compute`. */
export class Client implements Scheduler, FutureOwner, AsyncDisposable {
  readonly schedulerName = 'distributed';
  private readonly keys = new Map<string, KeyState>();
  private backend!: Backend;
  private closed = false;
  private pendingRelease: string[] = [];
  private releaseScheduled = false;
  private readonly isDefault: boolean;
  /** Where `compute`/`get` through this client find and keep results (the `cache` option). */
  readonly resultCache: ResultCache | undefined;
  /** Runs (get/compute through this client) whose hooks want task events. */
  private readonly watching = new Set<{ keys: ReadonlySet<string>; hooks: readonly Callbacks[] }>();

  private constructor(options: ClientOptions) {
    this.isDefault = options.setAsDefault ?? true;
    if (options.cache !== undefined) checkCacheOption(options.cache);
    this.resultCache = resultCacheOf(options.cache);
  }

  /** Connects to a `bask scheduler` (`ws://host:8786`). */
  static async connect(address: string, options: ClientOptions = {}): Promise<Client> {
    if (typeof address !== 'string' || !/^wss?:\/\//.test(address)) {
      throw new BaskError(
        'ERR_INVALID_ARGUMENT',
        `Client.connect(address): expected ws://host:port or wss://..., got ${String(address)}`,
      );
    }
    const client = new Client(options);
    client.backend = await RemoteBackend.connect(address, client.events(), options);
    client.opened();
    return client;
  }

  /** Starts an in-process cluster (a worker pool) behind the same API. */
  static async local(options: LocalClientOptions = {}): Promise<Client> {
    const client = new Client(options);
    const pool =
      options.pool ??
      new Pool(options.numWorkers === undefined ? {} : { numWorkers: options.numWorkers });
    client.backend = await LocalBackend.open(pool, client.events(), options.pool === undefined);
    client.opened();
    return client;
  }

  private opened(): void {
    if (this.isDefault) setDefaultClient(this);
  }

  /** 'local' (in-process pool) or 'remote' (a scheduler). */
  get kind(): 'local' | 'remote' {
    return this.backend.kind;
  }

  /** The scheduler's address (`ws://host:port`) of a connected client; undefined when local. */
  get address(): string | undefined {
    return this.backend.address;
  }

  // ---- futures --------------------------------------------------------------------------

  /**
   * Runs `fn(...args)` on the cluster and returns a Future. Futures among the args become
   * dependencies. Options go last: `{ key, pure, priority, retries, workers, resources,
   * verify, timeout }` (`verify: 2`: two distinct worker processes must return the same
   * result; `timeout`: milliseconds a run may take before it moves to another worker).
   */
  submit<A extends unknown[], R>(
    fn: (...args: A) => R,
    ...args: [...SubmitArgs<A>] | [...SubmitArgs<A>, SubmitTaskOptions]
  ): Future<Awaited<R>> {
    const [futures] = this.submitMany(fn, [submitCall(args as unknown[])]);
    return futures as Future<Awaited<R>>;
  }

  /**
   * `submit` over iterables, element by element (Dask's `client.map(fn, *iterables)`): the
   * i-th call gets the i-th item of each iterable, and the iterables must be equally long.
   * Options go last; there `key` is a prefix of the keys (a string) or the keys themselves (an
   * array, one per call). Returns one Future per call.
   *
   * ```ts
   * const sums = client.map(add, [1, 2, 3], [10, 20, 30], { priority: 1 });
   * ```
   */
  map<A extends unknown[], R>(
    fn: (...args: A) => R,
    ...iterables: [...MapIterables<A>] | [...MapIterables<A>, MapTaskOptions]
  ): Future<Awaited<R>>[] {
    return this.submitMany(fn, mapCalls(iterables as unknown[])) as Future<Awaited<R>>[];
  }

  private submitMany(fn: (...args: never[]) => unknown, calls: readonly Call[]): Future[] {
    this.check();
    const submission = buildSubmission(fn, calls);
    checkShippable(submission.graph, submission.keys);
    const futures = submission.keys.map((key) => this.futureOf(key));
    this.send(submission.graph, submission.keys, submission.perKey);
    return futures;
  }

  /**
   * Computes Delayed values (in arrays/objects) on the cluster; returns futures in their
   * shape. Task options (`verify`, `timeout`, `retries`, ...) apply to every task it sends.
   */
  compute<T>(values: T, options: SubmitTaskOptions = {}): unknown {
    this.check();
    const defaults = taskOptionsOf(options);
    checkTaskOptions(defaults, 'compute(values, options)');
    const { graph, roots } = findFutures(values);
    if (roots.length === 0) return values;
    checkShippable(graph, roots);
    const futures = new Map(roots.map((key) => [key, this.futureOf(key)]));
    this.send(graph, roots, undefined, Object.keys(defaults).length > 0 ? defaults : undefined);
    return replaceFutures(values, futures);
  }

  /** Like `compute`, for futures that stay on the cluster (the same: results stay put). */
  persist<T>(values: T, options: SubmitTaskOptions = {}): unknown {
    return this.compute(values, options);
  }

  /** Replaces futures by their values, in arrays and plain objects at any depth. */
  async gather<T>(values: T): Promise<GatheredShape<T>> {
    const futures: Future[] = [];
    collectFutures(values, futures);
    const results = new Map<string, unknown>();
    await Promise.all(futures.map(async (f) => results.set(f.key, await f.result())));
    return substituteFutures(values, results) as GatheredShape<T>;
  }

  /** Places data on workers; returns futures in the data's shape (array -> array of futures). */
  async scatter<T>(
    data: T,
    options: { workers?: string[]; broadcast?: boolean } = {},
  ): Promise<ScatteredShape<T>> {
    this.check();
    const items = Array.isArray(data) ? (data as unknown[]) : [data];
    const keys = items.map((v) => `scatter-${tokenFor(v)}`);
    await this.backend.scatter(keys, items, options);
    const futures = keys.map((key) => {
      const future = this.futureOf(key);
      this.stateOf(key).set('finished');
      return future;
    });
    return (Array.isArray(data) ? futures : futures[0]) as ScatteredShape<T>;
  }

  /** Stops computing these futures' keys. */
  cancel(futures: Future | readonly Future[]): void {
    const list: readonly Future[] = futures instanceof Future ? [futures] : futures;
    for (const f of list) this.cancelKey(f.key);
  }

  /** Workers and task states. */
  info(): Promise<ClusterInfo> {
    this.check();
    return this.backend.info();
  }

  /** Keeps computing these even after their futures are released or the client leaves. */
  fireAndForget(futures: Future | readonly Future[]): void {
    const list: readonly Future[] = futures instanceof Future ? [futures] : futures;
    this.backend.keep(list.map((f) => f.key));
  }

  /** Disconnects (or stops the local cluster); pending futures reject with ERR_CLIENT_CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.isDefault) unsetDefaultClient(this);
    this.settleAll(new BaskError('ERR_CLIENT_CLOSED', 'The client was closed'));
    await this.backend.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---- Scheduler: get/compute(..., { scheduler: client }) ------------------------------------

  async run(request: RunRequest): Promise<Map<string, unknown>> {
    this.check();
    // An infinite timeout is no limit (the pool accepts it; the protocol wants finite numbers).
    const timeout = Number.isFinite(request.timeout) ? request.timeout : undefined;
    const defaults = taskOptionsOf({ verify: request.verify, timeout });
    checkTaskOptions(defaults, 'compute(..., options)');
    const started = now();
    const hooks = request.callbacks;
    const batch = this.prepare(request.graph, request.keys, request.fuse ?? true);
    emit(hooks, 'start', {
      scheduler: this.schedulerName,
      ntasks: batch.keys.length,
      keys: request.keys,
      time: started,
    });
    checkShippable(request.graph, request.keys);
    const futures = request.keys.map((key) => this.futureOf(key));
    const onAbort = (): void => this.cancel(futures);
    request.signal?.addEventListener('abort', onAbort, { once: true });
    const watch = { keys: new Set(batch.keys), hooks };
    if (hooks.length > 0) this.watching.add(watch);
    try {
      await this.backend.submit(batch, request.keys, {
        progress: hooks.length > 0,
        ...(Object.keys(defaults).length > 0 ? { defaults } : {}),
      });
      const values = await Promise.all(futures.map((f) => f.result()));
      if (request.signal?.aborted === true)
        throw new BaskError('ERR_ABORTED', 'The computation was aborted', {
          cause: request.signal.reason,
        });
      emit(hooks, 'finish', {
        scheduler: this.schedulerName,
        time: now(),
        elapsed: now() - started,
      });
      return new Map(request.keys.map((key, i) => [key, values[i]]));
    } catch (error) {
      const failure =
        request.signal?.aborted === true
          ? new BaskError('ERR_ABORTED', 'The computation was aborted', {
              cause: request.signal.reason,
            })
          : error;
      emit(hooks, 'finish', {
        scheduler: this.schedulerName,
        time: now(),
        elapsed: now() - started,
        error: failure,
      });
      throw failure;
    } finally {
      this.watching.delete(watch);
      request.signal?.removeEventListener('abort', onAbort);
      for (const f of futures) f.release();
    }
  }

  // ---- internals -----------------------------------------------------------------------------

  private prepare(graph: GraphView, keys: readonly string[], fuse: boolean): GraphBatch {
    return prepareGraph(graph, keys, { fuse, isExternal: (key) => this.keys.has(key) });
  }

  private send(
    graph: GraphView,
    keys: readonly string[],
    perKey?: ReadonlyMap<string, TaskOptions>,
    defaults?: TaskOptions,
  ): void {
    const batch = this.prepare(graph, keys, true);
    const options = {
      ...(perKey !== undefined ? { perKey } : {}),
      ...(defaults !== undefined ? { defaults } : {}),
    };
    this.backend.submit(batch, keys, options).catch((error: unknown) => {
      const failure = error instanceof Error ? error : new Error(String(error));
      for (const key of keys) this.keys.get(key)?.set('error', failure);
    });
  }

  private futureOf(key: string): Future {
    return new Future(key, this.stateOf(key), this);
  }

  private stateOf(key: string): KeyState {
    let state = this.keys.get(key);
    if (state === undefined) {
      state = new KeyState(key);
      this.keys.set(key, state);
    }
    return state;
  }

  /** @internal */
  fetch(key: string): Promise<unknown> {
    this.check();
    return this.backend.gather([key]).then((values) => {
      if (!values.has(key))
        throw new BaskError(
          'ERR_DATA_LOST',
          `The data of '${key}' is no longer held by any worker`,
          { key },
        );
      return values.get(key);
    });
  }

  /** @internal */
  cancelKey(key: string): void {
    const state = this.keys.get(key);
    if (state === undefined || state.status !== 'pending') return;
    state.set(
      'cancelled',
      new BaskError('ERR_CANCELLED', `Future '${key}' was cancelled`, { key }),
    );
    if (!this.closed) this.backend.cancel([key]);
  }

  /** @internal */
  unref(key: string): void {
    const state = this.keys.get(key);
    if (state === undefined || --state.refs > 0) return;
    this.keys.delete(key);
    if (this.closed) return;
    this.pendingRelease.push(key);
    if (!this.releaseScheduled) {
      this.releaseScheduled = true;
      queueMicrotask(() => {
        this.releaseScheduled = false;
        const keys = this.pendingRelease.filter((k) => !this.keys.has(k));
        this.pendingRelease = [];
        if (!this.closed && keys.length > 0) this.backend.release(keys);
      });
    }
  }

  private events(): BackendEvents {
    return {
      report: (report) => this.onReport(report),
      taskEvents: (events) => {
        for (const watch of this.watching) {
          for (const e of events) {
            if (!watch.keys.has(e.key)) continue;
            emit(watch.hooks, 'taskStart', { key: e.key, worker: e.worker, time: e.start });
            const end = {
              key: e.key,
              worker: e.worker,
              start: e.start,
              end: e.end,
              duration: e.end - e.start,
            };
            emit(
              watch.hooks,
              'taskEnd',
              e.error === true ? { ...end, error: new Error(`task '${e.key}' failed`) } : end,
            );
          }
        }
      },
      closed: (error) => {
        if (this.closed) return;
        this.closed = true;
        if (this.isDefault) unsetDefaultClient(this);
        this.settleAll(error);
      },
    };
  }

  private onReport(report: Report): void {
    const state = this.keys.get(report.key);
    if (state === undefined) return;
    if (report.state === 'memory') {
      state.hasValue = report.hasValue;
      state.value = report.value;
      state.set('finished');
    } else if (report.state === 'erred') {
      state.set(
        'error',
        report.error instanceof Error ? report.error : deserializeError(report.error),
      );
    } else {
      state.hasValue = false;
      state.value = undefined;
      state.set('pending');
    }
  }

  private settleAll(error: Error): void {
    for (const state of this.keys.values())
      if (state.status === 'pending' || state.status === 'lost') state.set('error', error);
  }

  private check(): void {
    if (this.closed) throw new BaskError('ERR_CLIENT_CLOSED', 'This client is closed');
  }
}

/** Arguments of a submitted function: each may be a Future of its type. */
export type SubmitArgs<A extends unknown[]> = { [K in keyof A]: MaybeFuture<A[K]> };

/** Iterables of a mapped function's arguments: each item may be a Future of its type. */
export type MapIterables<A extends unknown[]> = { [K in keyof A]: Iterable<MaybeFuture<A[K]>> };

/** Options of `Client.map`: `key` is a prefix of the keys, or one key per call. */
export interface MapTaskOptions extends Omit<SubmitTaskOptions, 'key'> {
  key?: string | readonly string[];
}

/** A value, a Future of it, or (for arrays) an array whose items may be Futures. */
export type MaybeFuture<T> =
  T | Future<T> | (T extends readonly (infer E)[] ? readonly MaybeFuture<E>[] : never);

/** The shape `gather` resolves to: futures replaced by their values. */
export type GatheredShape<T> =
  T extends Future<infer U>
    ? U
    : T extends readonly unknown[]
      ? { -readonly [K in keyof T]: GatheredShape<T[K]> }
      : T;

/** The shape `scatter` resolves to: one future per item. */
export type ScatteredShape<T> = T extends readonly (infer U)[] ? Future<U>[] : Future<T>;

function collectFutures(value: unknown, out: Future[]): void {
  if (value instanceof Future) out.push(value);
  else if (Array.isArray(value)) for (const v of value) collectFutures(v, out);
  else if (
    value !== null &&
    typeof value === 'object' &&
    Object.getPrototypeOf(value) === Object.prototype
  ) {
    for (const v of Object.values(value)) collectFutures(v, out);
  }
}

function substituteFutures(value: unknown, results: ReadonlyMap<string, unknown>): unknown {
  if (value instanceof Future) return results.get(value.key);
  if (Array.isArray(value)) return value.map((v) => substituteFutures(v, results));
  if (
    value !== null &&
    typeof value === 'object' &&
    Object.getPrototypeOf(value) === Object.prototype
  ) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substituteFutures(v, results)]),
    );
  }
  return value;
}

let scatterCounter = 0;
function tokenFor(_value: unknown): string {
  return `${Date.now().toString(36)}${(scatterCounter++).toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}
