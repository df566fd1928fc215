/**
 * What a scheduler is, from the caller's side: something that runs the tasks a graph view's
 * keys need and returns their values. The sync scheduler, the worker pool and a `Client` all
 * implement `Scheduler`; `get` and `compute` pick one (see `resolveScheduler` in config.ts).
 */
import type { GraphView } from './graph/analyze.js';
import type { Callbacks } from './hooks.js';

/** What a scheduler is asked to do. */
export interface RunRequest {
  /** The graph (already built; the scheduler culls, orders and fuses it itself). */
  readonly graph: GraphView;
  /** The keys to compute, flat and unique. */
  readonly keys: readonly string[];
  /** Hook consumers for this run. */
  readonly callbacks: readonly Callbacks[];
  /** Cancels the run: queued tasks are dropped, the promise rejects with ERR_ABORTED. */
  readonly signal?: AbortSignal | undefined;
  /** Per-task time limit in milliseconds (pool and cluster). */
  readonly timeout?: number | undefined;
  /** Distinct workers that must agree on each result (cluster; local schedulers run once). */
  readonly verify?: number | undefined;
  /** Fuse linear chains (default: the scheduler decides). */
  readonly fuse?: boolean | undefined;
  /** Worker count for pools (default: the machine's cores). */
  readonly numWorkers?: number | undefined;
}

/** A scheduler: anything with a name and `run`. A Client is one too. */
export interface Scheduler {
  /** A short name for diagnostics: 'sync', 'threads', 'distributed'. */
  readonly schedulerName: string;
  /** Computes `keys`; resolves to their values by key. */
  run(request: RunRequest): Promise<Map<string, unknown>>;
  /**
   * @internal Optional: `run` with the values in the order of `request.keys`, which may
   * repeat here; `get` and `compute` use it where a scheduler has it (no map, no set of every
   * wanted key).
   */
  runInOrder?(request: RunRequest): Promise<unknown[]>;
  /**
   * @internal Optional: true where Files and Blobs in a graph are best given as they are,
   * unread (a cluster client uploads them; the browser streams them from disk).
   */
  readonly takesBlobs?: boolean;
}

/** True for objects that implement {@link Scheduler}. */
export function isScheduler(value: unknown): value is Scheduler {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as Partial<Scheduler>).run === 'function' &&
    typeof (value as Partial<Scheduler>).schedulerName === 'string'
  );
}
