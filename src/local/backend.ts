/**
 * What a `Client` talks to (types only): the same operations whether the engine runs in this
 * process (a local pool) or in a `bask scheduler` across a WebSocket. The client keeps futures;
 * the backend moves graphs, keys and values, and reports what happens to wanted keys.
 */
import type { TaskOptions } from '../engine/types.js';
import type { GraphBatch } from '../graph/prepare.js';
import type { ClusterInfo, TaskEvent } from '../wire/protocol.js';

/** What a backend tells its client. */
export interface BackendEvents {
  /** A wanted key finished, failed, or lost its data (a small result may come along). */
  report(report: Report): void;
  /** The backend is gone (socket closed, pool closed): every pending future must settle. */
  closed(error: Error): void;
  /** Tasks of submissions that asked for progress ran (for hooks). */
  taskEvents?(events: readonly TaskEvent[]): void;
}

/** A state change of a wanted key. */
export type Report =
  | { key: string; state: 'memory'; nbytes: number; value?: unknown; hasValue: boolean }
  | { key: string; state: 'erred'; error: Error; blame: string }
  | { key: string; state: 'lost' };

/** Per-submission task options. */
export interface SubmitOptions {
  perKey?: ReadonlyMap<string, TaskOptions>;
  defaults?: TaskOptions;
  /** Report every task of this submission through `taskEvents`. */
  progress?: boolean;
}

/** A summary of the cluster for `client.info()`: defined with the protocol. */
export type { ClusterInfo } from '../wire/protocol.js';

/** The operations a client needs. */
export interface Backend {
  readonly kind: 'local' | 'remote';
  /** The scheduler's address (`ws://host:port`), for a remote backend. */
  readonly address?: string;
  /** Sends a graph; resolves once accepted (rejects on refusal, e.g. an unshippable function). */
  submit(batch: GraphBatch, wanted: readonly string[], options?: SubmitOptions): Promise<void>;
  /** The client no longer wants these keys. */
  release(keys: readonly string[]): void;
  /** Stop computing these keys (and what only they need). */
  cancel(keys: readonly string[]): void;
  /** Keep these keys after the client disconnects (fire and forget). */
  keep(keys: readonly string[]): void;
  /** Values of keys in memory; keys not (or no longer) in memory are missing from the map. */
  gather(keys: readonly string[]): Promise<Map<string, unknown>>;
  /** Places values on workers under the given keys. */
  scatter(
    keys: readonly string[],
    values: readonly unknown[],
    options?: { workers?: readonly string[]; broadcast?: boolean },
  ): Promise<void>;
  /** A snapshot of workers and task states. */
  info(): Promise<ClusterInfo>;
  /** Disconnects (remote) or stops (local). */
  close(): Promise<void>;
}
