/**
 * The pool's messages (types, and `wireTask`, which builds a task as it is sent). Two planes:
 *
 * - control (comlink calls): `WorkerApi` — start a worker, connect it to peers, close it;
 * - data (raw MessagePorts, for speed): batches of tasks main -> worker and their results
 *   worker -> main on each worker's task port; fetch requests and data between two workers on
 *   a port of their own (never through the main thread).
 *
 * comlink makes one call per message with a fresh listener and id; a tiny task would pay that
 * many times over, so the hot path is a plain port carrying batches.
 */
import type { SerializedError } from '../errors.js';
import type { WorkerResult } from '../engine/driver.js';
import type { Fetch } from '../engine/types.js';
import type { FnRef } from '../graph/fnref.js';
import type { WireSpec } from './protocol.js';

/** How a result goes back to the caller with its completion. */
export type ReportMode = 0 | 1 | 2; // 0: keep only; 1: send a copy; 2: give it away (transfer)

const NO_FETCHES: readonly Fetch[] = [];

/** A task as it goes to a worker: its encoded spec, with the fields at their defaults left out. */
export function wireTask(
  key: string,
  spec: WireSpec,
  fetch: readonly Fetch[],
  report: ReportMode,
  hash: boolean,
): WireTask {
  const task: { -readonly [K in keyof WireTask]: WireTask[K] } = {
    key,
    fn: spec.fn,
    args: spec.args,
  };
  if (spec.marked) task.marked = true;
  if (fetch.length > 0) task.fetch = fetch;
  if (report !== 0) task.report = report;
  if (hash) task.hash = 1;
  return task;
}

/** A task's dependencies held elsewhere (its `fetch`, empty when left out). */
export function fetchesOf(task: WireTask): readonly Fetch[] {
  return task.fetch ?? NO_FETCHES;
}

/** One task as a worker receives it. */
export interface WireTask {
  readonly key: string;
  /** The function, or null for a literal value (then `args[0]` is the value). */
  readonly fn: FnRef | null;
  /** Encoded args (markers for refs, nested tasks and registered types). */
  readonly args: readonly unknown[];
  /**
   * Whether args hold markers to decode. This and the next two are left out where they are
   * false, empty and 0: a pool posts 100k tasks a second, and a field costs every one of them
   * its name in the structured clone.
   */
  readonly marked?: boolean;
  /** Dependencies held elsewhere (none when left out). */
  readonly fetch?: readonly Fetch[];
  /** 0 when left out. */
  readonly report?: ReportMode;
  /** 1: report the result's content hash (a replica of a task with `verify`). */
  readonly hash?: 1;
}

/** main -> worker on the task port. */
export type ToWorker =
  | {
      type: 'batch';
      run: WireTask[];
      free: string[];
      cancel: string[];
      /** Emit performance.measure entries for each task (a Profiler is listening). */
      measure: boolean;
    }
  | { type: 'gather'; id: number; keys: string[]; move: boolean }
  /** Data placed directly (scattered, or fetched by the process from another machine). */
  | { type: 'put'; keys: string[]; values: unknown[]; marked: boolean };

/** One finished (or failed, or blocked) task: what the engine's driver reads. */
export type TaskResult = WorkerResult;

/** worker -> main on the task port. */
export type FromWorker =
  | { type: 'results'; results: TaskResult[]; marked: boolean }
  | { type: 'gathered'; id: number; values: unknown[]; missing: string[]; marked: boolean }
  | { type: 'fatal'; error: SerializedError };

/** Between two workers on their peer port. */
export type PeerMessage =
  | { type: 'fetch'; id: number; keys: string[]; move: boolean[] }
  | { type: 'data'; id: number; values: unknown[]; missing: string[]; marked: boolean };

/** The control API a pool worker exposes through comlink. */
export interface WorkerApi {
  /** Starts the worker: its id, the port of its task plane, and options. */
  init(id: string, taskPort: MessagePort, options?: WorkerInitOptions): void;
  /** Connects a peer's data port. */
  connect(peer: string, port: MessagePort): void;
  /** Forgets a peer (it died). */
  disconnect(peer: string): void;
  /** Round trip for readiness checks. */
  ping(): string;
  /** Counters of what the worker did. */
  stats(): WorkerStats;
}

/** Options of a worker thread. */
export interface WorkerInitOptions {
  /** Results a client asked for travel back with their completion up to this size (bytes). */
  reportLimit?: number;
  /** A cluster scheduler's HTTP address, where clients' task modules are served. */
  moduleServer?: string;
  /** Where the thread writes the key it is running (worker/running-slot.ts), when shared. */
  runningSlot?: SharedArrayBuffer;
}

/** What a worker did, for tests and diagnostics. */
export interface WorkerStats {
  tasksDone: number;
  /** Keys held now and their estimated bytes. */
  keys: number;
  /** Bytes given to peers by transfer (zero copy) and by copy. */
  bytesMoved: number;
  bytesCopied: number;
  /** Fetch requests answered for peers. */
  fetchesServed: number;
}
