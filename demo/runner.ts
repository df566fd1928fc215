/**
 * One run of the page: the chosen scheduler computes every file with `runSpreads`, and the
 * page's views are told about each result as it settles.
 *
 * Policy: the wall time covers building the graph and computing it, as `%time` around
 * `compute` does; connecting to a cluster happens before the clock starts, as creating a
 * Dask `Client` comes before `%time`. A cluster connection is made once per address and
 * reused; a failed attempt is forgotten, so the next run tries again.
 */
import { Profiler, type Callbacks, type Scheduler } from 'bask';
import { runSpreads, type SpreadResult, type SpreadsOptions } from 'bask/seed';
import { connectCluster } from './cluster.js';
import type { InputFile } from './ui/files.js';

/** The schedulers the page offers. */
export type SchedulerKind = 'sync' | 'threads' | 'cluster';

/** Human names of the schedulers. */
export const SCHEDULER_LABELS: Readonly<Record<SchedulerKind, string>> = {
  sync: 'Sync',
  threads: 'Worker pool',
  cluster: 'Cluster',
};

/** A run that computed every file (each with its result or its error). */
export interface FinishedRun {
  readonly kind: SchedulerKind;
  readonly status: 'done';
  readonly wallMs: number;
  readonly results: readonly SpreadResult[];
  readonly profiler: Profiler;
}

/** A scheduler that could not run at all (no cluster there), and why. */
export interface UnavailableRun {
  readonly kind: SchedulerKind;
  readonly status: 'unavailable';
  readonly message: string;
}

/** How a run ended. */
export type RunOutcome = FinishedRun | UnavailableRun;

/** What `runSpreads` is given for a scheduler choice. */
export type SchedulerChoice = 'sync' | 'threads' | Scheduler;

/** What a run needs. */
export interface RunRequest {
  readonly kind: SchedulerKind;
  /** From {@link connectScheduler}. */
  readonly scheduler: SchedulerChoice;
  readonly files: readonly InputFile[];
  readonly mapping: SpreadsOptions;
  /** Diagnostics for the run besides its Profiler (the page's ProgressBar). */
  readonly callbacks: readonly Callbacks[];
  readonly signal: AbortSignal;
  /** Reuse results kept in IndexedDB (`cache: 'indexeddb'`). */
  readonly cache?: boolean;
  /** Each file's result as it settles, with its position in `files`. */
  readonly onResult: (result: SpreadResult, index: number) => void;
}

const clusters = new Map<string, Promise<Scheduler>>();

/** The cluster scheduler at `address`, connecting on first use. */
export function getCluster(address: string): Promise<Scheduler> {
  let pending = clusters.get(address);
  if (pending === undefined) {
    pending = connectCluster(address);
    clusters.set(address, pending);
    pending.catch(() => clusters.delete(address));
  }
  return pending;
}

/**
 * The scheduler for a choice: local ones by name, the cluster once connected. Resolves to an
 * UnavailableRun when there is no cluster to run on.
 */
export async function connectScheduler(
  kind: SchedulerKind,
  address: string,
): Promise<SchedulerChoice | UnavailableRun> {
  if (kind !== 'cluster') return kind;
  try {
    return await getCluster(address);
  } catch (error) {
    return { kind, status: 'unavailable', message: messageOf(error) };
  }
}

/** True for the result of {@link connectScheduler} when it could not connect. */
export function isUnavailable(choice: SchedulerChoice | UnavailableRun): choice is UnavailableRun {
  // A Client has a `status` of its own ('connected', ...): test the value, not the key.
  return typeof choice === 'object' && (choice as { status?: unknown }).status === 'unavailable';
}

/** Runs every file on one scheduler; the wall time covers building and computing the graph. */
export async function runOn(request: RunRequest): Promise<FinishedRun> {
  const { kind, files } = request;
  // The last run's user-timing entries (the Profiler's DevTools track) would pile up run
  // after run in the page's timeline: a new run replaces them.
  performance.clearMeasures();
  const profiler = new Profiler();
  const started = performance.now();
  const results = await runSpreads(
    files.map((f) => f.file),
    {
      scheduler: request.scheduler,
      mapping: request.mapping,
      names: files.map((f) => f.name),
      callbacks: [...request.callbacks, profiler],
      signal: request.signal,
      onResult: request.onResult,
      ...(request.cache === true ? { cache: 'indexeddb' as const } : {}),
    },
  );
  return { kind, status: 'done', wallMs: performance.now() - started, results, profiler };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
