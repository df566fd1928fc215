/**
 * `Client`: the futures API (dask.distributed's Client) over a backend that is either a
 * `bask scheduler` across a WebSocket (`Client.connect`) or a pool in this process
 * (`Client.local`). A client is also a scheduler for `get` and `compute`, and the default one
 * while it is open (unless `setAsDefault: false`).
 *
 * Futures are thenable, so the client hands them out synchronously (a promise would adopt
 * their values): `submit`, `map`, `scatter`, `compute`, `persist` and `get` return futures
 * (or Delayed values backed by them) right away; `gather` and `{ sync: true }` resolve values.
 *
 * Policy: submissions are checked here (unshippable functions and invalid options are refused
 * at the call, before anything is sent); futures anywhere in what is sent become dependencies
 * on their keys (handles.ts); keys are released when their last future goes (explicitly or on
 * GC); closing settles every pending future with ERR_CLIENT_CLOSED. A connected client that
 * loses its scheduler reconnects (the `reconnect` option; connection.ts): its futures of the
 * old scheduler become 'lost' for good (ERR_DATA_LOST), pending ones too (nothing is
 * re-submitted, as in Dask), and new work waits for the new connection. The work is done by
 * send.ts (graphs out), data.ts (gather, scatter), run.ts (the Scheduler) and keys.ts (states).
 */
import { checkCacheOption, resultCacheOf } from '../cache/options.js';
import type { ResultCache } from '../cache/result-cache.js';
import { setDefaultClient, unsetDefaultClient } from '../config.js';
import { makeDelayed } from '../delayed/delayed.js';
import { DelayedNode, isCollectedGraph } from '../delayed/node.js';
import type { Computed } from '../delayed/types.js';
import { BaskError } from '../errors.js';
import { viewGraph } from '../graph/analyze.js';
import type { Graph, KeySpec } from '../graph/spec.js';
import { Pool } from '../local/pool.js';
import type { ClusterInfo } from '../local/backend.js';
import type { RunRequest, Scheduler } from '../scheduler.js';
import type { ClientBackend, ClientBackendEvents } from './backend.js';
import type { ConnectionStatus } from './connection.js';
import { gatherFutures, scatterData, type GatherOptions } from './data.js';
import { Future, type FutureOwner, type KeyState } from './future.js';
import { liftGraph } from './handles.js';
import { KeyStates } from './keys.js';
import { LocalBackend } from './local.js';
import {
  defaultsOf,
  type ClientComputeOptions,
  type ClientGetOptions,
  type ClientOptions,
  type LocalClientOptions,
  type MapIterables,
  type MapTaskOptions,
  type ScatterOptions,
  type SubmitArgs,
} from './options.js';
import { RemoteBackend } from './remote.js';
import { RunWatches, runOnClient } from './run.js';
import { sendGraph, type ClientCore } from './send.js';
import {
  flatKeys,
  futuresIn,
  shapeKeys,
  type FuturesOf,
  type GatheredShape,
  type KeyFutures,
  type ScatteredShape,
} from './shapes.js';
import { checkShippable } from './shippable.js';
import {
  buildSubmission,
  findDelayed,
  mapCalls,
  replaceDelayed,
  submitCall,
  type Call,
  type SubmitTaskOptions,
} from './submission.js';

/** A connection to a cluster: futures, gather, scatter, and a scheduler for `compute`. */
export class Client implements Scheduler, FutureOwner, AsyncDisposable {
  readonly schedulerName = 'distributed';
  private readonly states = new KeyStates((keys) => {
    if (!this.closed) this.backend.release(keys);
  });
  private backend!: ClientBackend;
  private readonly core: ClientCore;
  private closed = false;
  private readonly isDefault: boolean;
  /** Where `compute`/`get` through this client find and keep results (the `cache` option). */
  readonly resultCache: ResultCache | undefined;
  private readonly watches = new RunWatches();

  private constructor(options: ClientOptions) {
    this.isDefault = options.setAsDefault ?? true;
    if (options.cache !== undefined) checkCacheOption(options.cache);
    this.resultCache = resultCacheOf(options.cache);
    const backend = (): ClientBackend => this.backend;
    this.core = {
      states: this.states,
      owner: this,
      get backend(): ClientBackend {
        return backend();
      },
    };
  }

  /**
   * Connects to a `bask scheduler` (`ws://host:8786`); rejects with ERR_CONNECTION when none
   * answers. If the scheduler goes away later, the client connects again (see the `reconnect`
   * option: retries with backoff, then ERR_CONNECTION; `client.status` tells where it is).
   */
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

  /** @internal A remote client uploads Files and Blobs as they are (Scheduler.takesBlobs). */
  get takesBlobs(): boolean {
    return this.backend.kind === 'remote';
  }

  /**
   * 'connected'; 'reconnecting' while a remote client waits for its scheduler to answer again
   * (requests wait too); 'closed' once closed or given up.
   */
  get status(): ConnectionStatus {
    if (this.closed) return 'closed';
    return this.backend.connectionStatus ?? 'connected';
  }

  /** The scheduler's address (`ws://host:port`) of a connected client; undefined when local. */
  get address(): string | undefined {
    return this.backend.address;
  }

  // ---- futures --------------------------------------------------------------------------

  /**
   * Runs `fn(...args)` on the cluster and returns a Future. Futures among the args (also in
   * arrays and plain objects) become dependencies; Delayed args bring their graphs. Options go
   * last: `{ key, pure, priority, retries, workers, allowOtherWorkers, resources, verify,
   * timeout }` (`verify: 2`: two distinct worker processes must return the same result;
   * `timeout`: milliseconds a run may take before it moves to another worker). The last
   * argument is the options when it is a plain object of option names only; to pass a plain
   * object as the last argument, add options after it: `submit(fn, data, {})`. A future
   * depending on a cancelled future is cancelled (ERR_CANCELLED).
   */
  submit<A extends unknown[], R>(
    fn: (...args: A) => R,
    ...args: [...SubmitArgs<A>] | [...SubmitArgs<A>, SubmitTaskOptions]
  ): Future<Awaited<R>> {
    const [future] = this.submitMany(fn, [submitCall(args as unknown[])]);
    return future as Future<Awaited<R>>;
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
    // Without Delayed args, the submission's graph is its own tasks: no index needed.
    checkShippable(submission.graph, submission.keys, submission.handles.delayed.length === 0);
    const lifted = liftGraph(submission.graph, () => true, true, submission.handles);
    return sendGraph(this.core, lifted, submission.keys, { perKey: submission.perKey }).futures;
  }

  /**
   * Computes Delayed values (in arrays and plain objects) on the cluster; returns futures in
   * their shape (anything else stays as it is). Task options apply to every task it sends;
   * `{ sync: true }` resolves to the values instead.
   */
  compute<T>(values: T, options?: ClientComputeOptions & { sync?: false }): FuturesOf<T>;
  compute<T>(values: T, options: ClientComputeOptions & { sync: true }): Promise<Computed<T>>;
  compute<T>(values: T, options: ClientComputeOptions = {}): FuturesOf<T> | Promise<Computed<T>> {
    const futures = this.computeFutures(values, options, 'compute(values, options)');
    const shaped = replaceDelayed(values, (node) => futures.get(node.key)) as FuturesOf<T>;
    return options.sync === true
      ? (this.gatherThenRelease(shaped, [...futures.values()]) as Promise<Computed<T>>)
      : shaped;
  }

  /**
   * Starts computing Delayed values (in arrays and plain objects) and returns them as Delayed
   * values backed by the results on the cluster (same keys): computations that use them start
   * from there. The results stay while those Delayed values live.
   */
  persist<T>(values: T, options: ClientComputeOptions = {}): T {
    const futures = this.computeFutures(values, options, 'persist(values, options)');
    return replaceDelayed(values, (node) =>
      makeDelayed(new DelayedNode(node.key, futures.get(node.key), [], node.nout)),
    ) as T;
  }

  private computeFutures(
    values: unknown,
    options: ClientComputeOptions,
    where: string,
  ): Map<string, Future> {
    this.check();
    const defaults = defaultsOf(options, where);
    const { graph, roots } = findDelayed(values);
    if (roots.length === 0) return new Map();
    const lifted = liftGraph(graph, () => true, true);
    checkShippable(lifted.view, roots);
    const sent = sendGraph(this.core, lifted, roots, defaults === undefined ? {} : { defaults });
    return new Map(roots.map((key, i) => [key, sent.futures[i] as Future]));
  }

  /**
   * Computes keys of a low-level graph (Dask's `client.get(dsk, keys, sync=False)`): returns
   * futures in the keys' shape. Futures anywhere in the graph's nodes become dependencies on
   * their keys. `{ sync: true }` resolves to the values instead (the futures are released).
   */
  get<K extends KeySpec>(
    graph: Graph,
    keys: K,
    options?: ClientGetOptions & { sync?: false },
  ): KeyFutures<K>;
  get(graph: Graph, keys: KeySpec, options: ClientGetOptions & { sync: true }): Promise<unknown>;
  get(graph: Graph, keys: KeySpec, options: ClientGetOptions = {}): unknown {
    this.check();
    const defaults = defaultsOf(options, 'get(graph, keys, options)');
    const flat = flatKeys(keys);
    const view = viewGraph(graph);
    const lifted = liftGraph(view, (k) => this.states.has(k), isCollectedGraph(view));
    checkShippable(lifted.view, flat);
    const { futures } = sendGraph(
      this.core,
      lifted,
      flat,
      defaults === undefined ? {} : { defaults },
      options.fuse ?? true,
    );
    const byKey = new Map(flat.map((key, i) => [key, futures[i] as Future]));
    const shaped = shapeKeys(keys, (key) => byKey.get(key) as Future);
    return options.sync === true ? this.gatherThenRelease(shaped, futures) : shaped;
  }

  /**
   * Replaces futures by their values, in arrays and plain objects at any depth. A failure
   * rejects (the first one), unless `{ errors: 'skip' }`: then failed and cancelled futures
   * are left out of arrays and objects.
   */
  gather<T>(values: T, options: GatherOptions = {}): Promise<GatheredShape<T>> {
    return gatherFutures(this, values, options) as Promise<GatheredShape<T>>;
  }

  private async gatherThenRelease(shaped: unknown, futures: readonly Future[]): Promise<unknown> {
    try {
      return await this.gather(shaped);
    } finally {
      for (const f of futures) f.release();
    }
  }

  /**
   * Places data on workers and returns futures right away, in the data's shape: an array
   * gives an array of futures, a plain object an object of futures (one per entry), anything
   * else one future. Each is pending until its data is in place. Keys are `<type>-<content
   * hash>` (`hash: false`: unique), so equal data gets an equal key.
   */
  scatter<T>(data: T, options: ScatterOptions = {}): ScatteredShape<T> {
    this.check();
    return scatterData(this.core, data, options) as ScatteredShape<T>;
  }

  /**
   * Cancels futures (one, or arrays and objects of them): their tasks stop, and so does every
   * dependent that no other client wants; all of them are 'cancelled' (ERR_CANCELLED).
   */
  cancel(futures: Future | Iterable<Future> | object): void {
    const keys: string[] = [];
    for (const f of futuresIn(futures)) {
      if (f.client !== this) f.cancel();
      else if (this.cancelState(f.key, f.keyState)) keys.push(f.key);
    }
    if (keys.length > 0 && !this.closed) this.backend.cancel(keys);
  }

  /** Runs failed futures again (see `Future.retry`). */
  retry(futures: Future | Iterable<Future> | object): void {
    this.check();
    const keys: string[] = [];
    for (const f of futuresIn(futures)) {
      if (f.client !== this) f.retry();
      else if (this.states.get(f.key) === f.keyState && f.keyState.reset()) keys.push(f.key);
    }
    if (keys.length > 0) this.backend.retry(keys);
  }

  /**
   * @internal The keys the scheduler still knows among these, with the workers holding each
   * (tests of releasing and placement).
   */
  whoHas(keys: readonly string[]): Promise<Map<string, string[]>> {
    this.check();
    return this.backend.whoHas(keys);
  }

  /** Workers and task states. */
  info(): Promise<ClusterInfo> {
    this.check();
    return this.backend.info();
  }

  /** Keeps computing these even after their futures are released or the client leaves. */
  fireAndForget(futures: Future | Iterable<Future> | object): void {
    this.backend.keep(futuresIn(futures).map((f) => f.key));
  }

  /** Disconnects (or stops the local cluster); pending futures reject with ERR_CLIENT_CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.isDefault) unsetDefaultClient(this);
    this.states.failPending(new BaskError('ERR_CLIENT_CLOSED', 'The client was closed'));
    await this.backend.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Scheduler: `get`/`compute(..., { scheduler: client })` (see run.ts). */
  run(request: RunRequest): Promise<Map<string, unknown>> {
    this.check();
    return runOnClient(this.core, this.watches, request, (futures) => this.cancel(futures));
  }

  // ---- FutureOwner and internals ---------------------------------------------------------

  /** Cancels a state of this client; true when the cluster must hear of it (it was live). */
  private cancelState(key: string, state: KeyState): boolean {
    const live = this.states.get(key) === state;
    const error = new BaskError('ERR_CANCELLED', `Future '${key}' was cancelled`, { key });
    return this.states.cancel(state, error) && live;
  }

  /** @internal */
  fetch(key: string): Promise<unknown> {
    return this.fetchMany([key]).then((values) => {
      if (!values.has(key))
        throw new BaskError(
          'ERR_DATA_LOST',
          `The data of '${key}' is no longer held by any worker`,
          { key },
        );
      return values.get(key);
    });
  }

  /** @internal Values of finished keys, in one request; keys no longer held are missing. */
  fetchMany(keys: readonly string[]): Promise<Map<string, unknown>> {
    this.check();
    return this.backend.gather(keys);
  }

  /** @internal */
  cancelKey(key: string, state: KeyState): void {
    if (this.cancelState(key, state) && !this.closed) this.backend.cancel([key]);
  }

  /** @internal */
  retryKey(key: string, state: KeyState): void {
    this.check();
    if (this.states.get(key) === state && state.reset()) this.backend.retry([key]);
  }

  /** @internal */
  unref(key: string, state: KeyState): void {
    this.states.unref(key, state, this.closed);
  }

  private events(): ClientBackendEvents {
    return {
      report: (report) => this.states.onReport(report),
      disconnected: (error) => {
        const address = this.backend.address ?? 'its address';
        this.states.dropAll((key) => schedulerGone(address, key, error));
      },
      taskEvents: (events) => this.watches.taskEvents(events),
      closed: (error) => {
        if (this.closed) return;
        this.closed = true;
        if (this.isDefault) unsetDefaultClient(this);
        this.states.failPending(error);
      },
    };
  }

  private check(): void {
    if (this.closed) throw new BaskError('ERR_CLIENT_CLOSED', 'This client is closed');
  }
}

/** Why a future of a scheduler that went away rejects (ERR_DATA_LOST). */
function schedulerGone(address: string, key: string, cause: Error): BaskError {
  return new BaskError(
    'ERR_DATA_LOST',
    `'${key}' is lost: the client lost its scheduler at ${address} (it restarted or the connection dropped), ` +
      'and a restarted scheduler knows nothing of what it held or was computing. Submit it again to compute it again',
    { key, cause },
  );
}
