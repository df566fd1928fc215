/**
 * The options and argument types of `Client` (types, and the one check of `compute`/`persist`/
 * `get` options). Submission options (`submit`, `map`) and their rules are in submission.ts.
 */
import type { CacheOption } from '../cache/options.js';
import type { Delayed, HeldValue } from '../delayed/types.js';
import type { TaskOptions } from '../engine/types.js';
import { BaskError } from '../errors.js';
import type { Pool } from '../local/pool.js';
import type { ReconnectOptions } from './connection.js';
import type { Future } from './future.js';
import {
  checkTaskOptions,
  TASK_OPTION_KEYS,
  taskOptionsOf,
  type ClientTaskOptions,
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
   * When the scheduler goes away (it restarted, the network dropped), connect again to the same
   * address, retrying with backoff: `{ retries: 10, initialDelayMs: 250, maxDelayMs: 5000 }` by
   * default (each wait doubles; about half a minute in all); `false`: do not (the client closes
   * with ERR_CONNECTION). While reconnecting, `client.status` is 'reconnecting' and new
   * submissions, gathers and other requests wait for the connection, or fail with
   * ERR_CONNECTION once the retries run out. Every future the client held when the connection
   * dropped, finished or pending, becomes 'lost' and `result()` rejects with ERR_DATA_LOST:
   * the scheduler (a restarted one knows nothing) no longer has it, and nothing is re-submitted
   * (as in Dask): submit it again to compute it again. Failed and cancelled futures keep their
   * outcome. Not for `Client.local`.
   */
  reconnect?: ReconnectOptions | false;
  /**
   * Reuse results of `compute`/`get` run through this client, kept in IndexedDB (browsers):
   * `'indexeddb'` or a `ResultCache` (see the `cache` option of `compute`, which wins).
   */
  cache?: CacheOption;
}

/** Options of `Client.local`. */
export interface LocalClientOptions extends Omit<ClientOptions, 'token' | 'ca' | 'reconnect'> {
  /** Worker threads of the in-process cluster (default: the machine's cores). */
  numWorkers?: number;
  /** Use this pool instead of starting one (it is not closed with the client). */
  pool?: Pool;
}

/** Options of `client.compute` and `client.persist`: task options for every task sent. */
export interface ClientComputeOptions extends ClientTaskOptions {
  /** `compute` only: resolve to the values (the futures are released) instead of futures. */
  sync?: boolean;
}

/** Options of `client.get`. */
export interface ClientGetOptions extends ClientComputeOptions {
  /** Fuse linear chains before sending (default true). */
  fuse?: boolean;
}

/** Options of `client.scatter`. */
export interface ScatterOptions {
  /** Place the data on these workers (names of worker processes or threads). */
  workers?: string | readonly string[];
  /** Place every item on every worker. */
  broadcast?: boolean;
  /**
   * Key data by its content (default true, as in Dask): equal data gets an equal key, so
   * scattering it twice places it once. `false` gives each item a unique key.
   */
  hash?: boolean;
}

const COMPUTE_OPTION_KEYS = new Set<string>([...TASK_OPTION_KEYS, 'sync', 'fuse']);

/**
 * The task options of a `compute`/`persist`/`get` call, checked (unknown option names and
 * invalid values are refused with ERR_INVALID_ARGUMENT); undefined when there are none.
 */
export function defaultsOf(options: ClientComputeOptions, where: string): TaskOptions | undefined {
  const unknown = Object.keys(options).filter((k) => !COMPUTE_OPTION_KEYS.has(k));
  if (unknown.length > 0)
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `${where}: unknown option ${unknown.map((k) => `'${k}'`).join(', ')} (known: ${[...COMPUTE_OPTION_KEYS].join(', ')})`,
    );
  const defaults = taskOptionsOf(options);
  checkTaskOptions(defaults, where);
  return Object.keys(defaults).length > 0 ? defaults : undefined;
}

/** Arguments of a submitted function: each may be a Future of its type. */
export type SubmitArgs<A extends unknown[]> = { [K in keyof A]: MaybeFuture<A[K]> };

/** Iterables of a mapped function's arguments: each item may be a Future of its type. */
export type MapIterables<A extends unknown[]> = { [K in keyof A]: Iterable<MaybeFuture<A[K]>> };

/** Options of `Client.map`: `key` is a prefix of the keys, or one key per call. */
export interface MapTaskOptions extends Omit<SubmitTaskOptions, 'key'> {
  key?: string | readonly string[];
}

/** A value, a Future or Delayed of it, or (for arrays) an array whose items may be those. */
export type MaybeFuture<T> =
  | T
  | Future<T>
  | HeldValue<T>
  | Delayed<T>
  | (T extends readonly (infer E)[] ? readonly MaybeFuture<E>[] : never);
