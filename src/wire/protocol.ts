/**
 * The cluster's wire protocol: every message between clients, the scheduler,
 * worker processes and dashboards, as discriminated unions keyed on `type`. Shared by the
 * browser and the server. Values inside messages are encoded by `wire/clone.ts` (markers for
 * refs, tasks and registered types) and framed by `wire/frame.ts` (msgpack plus binary frames).
 *
 * Versioned: the first message on a connection is `hello` with PROTOCOL_VERSION; a mismatch is
 * refused with ERR_PROTOCOL_VERSION before anything else happens.
 *
 * Types and the few constants both ends share (version, close codes, the report limit); the
 * runtime checks of these messages are zod schemas in `schemas.ts`, held against these types at
 * compile time and loaded by the scheduler only (the browser entry never imports zod).
 */
import type { SerializedError } from '../errors.js';
import type { Fetch, TaskOptions } from '../engine/types.js';
import type { FnRef } from '../graph/fnref.js';
import type { TaskResult, WireTask } from './pool-protocol.js';

/** One task's run, as progress bars and profilers see it. */
export interface TaskEvent {
  key: string;
  worker: string;
  /** Epoch milliseconds on the worker. */
  start: number;
  end: number;
  /** The task's error, when it failed. */
  error?: SerializedError;
}

/** Bumped on any incompatible change to these messages. */
export const PROTOCOL_VERSION = 2;

/** Who is on the other end of a connection. */
export type Role = 'client' | 'worker' | 'dashboard';

/** A task graph as a client submits it (the GraphBatch with encoded specs). */
export interface WireGraph {
  keys: string[];
  /** Encoded specs: `{ fn, args, marked }` for tasks, `{ value }` for literals. */
  specs: WireSpec[];
  depStart: Int32Array;
  depList: Int32Array;
  external: string[];
}

/**
 * One encoded spec: a function call, or a literal value (`fn: null`, the value in `args[0]`; the
 * encoder always writes `[value]`, and the scheduler, which never reads it, accepts any array).
 */
export type WireSpec =
  { fn: FnRef; args: unknown[]; marked: boolean } | { fn: null; args: unknown[]; marked: boolean };

/** The first message on every connection. */
export interface Hello {
  type: 'hello';
  version: number;
  role: Role;
  token?: string;
  /** Client: its name; worker process: its name (threads are `${name}/${i}`). */
  name?: string;
  /** Worker process: its threads, resources, memory limit and where peers reach it. */
  worker?: {
    nthreads: number;
    memoryLimit: number;
    resources: Record<string, number>;
    host: string;
    peerAddress?: string;
    kind: 'node' | 'browser';
  };
}

/**
 * Scheduler -> anyone: the answer to `hello`. A worker process hears its own thread ids
 * (`threads`) and where task modules are served (`http`); never the rest of the cluster: where
 * to fetch a key comes with the task that needs it (`run`'s `holders`), so a join costs the
 * scheduler the same at 10 workers as at 10,000.
 */
export type Welcome =
  | {
      type: 'welcome';
      version: number;
      id: string;
      threads?: string[];
      http?: string;
      /**
       * Client: the path (on the scheduler's own host and port) where this connection may POST
       * the bytes of Files and Blobs ahead of the submission that uses them (uploaded.ts).
       */
      upload?: string;
    }
  | { type: 'refused'; code: string; message: string };

/** Where to reach a worker thread that holds data: its process and the process's peer server. */
export interface WorkerInfo {
  id: string;
  /** The worker process it belongs to (its connection). */
  process: string;
  peerAddress?: string;
}

/**
 * WebSocket close codes the scheduler uses (4000-4999 are the application's range; see the
 * README's table).
 */
export const CLOSE = {
  /** A worker missed its heartbeats. */
  heartbeat: 4000,
  /** Refused: a wrong or missing token, or a remote peer for a role served to localhost only. */
  auth: 4001,
  /** A malformed, unknown or invalid message (or no hello in time). */
  invalid: 4002,
  /** Too many messages or bytes per second. */
  rate: 4003,
  /** The peer speaks another protocol version. */
  version: 4004,
  /** A message larger than the scheduler's limit (WebSocket's own code). */
  tooBig: 1009,
} as const;

/** Results above this size (bytes) stay on their worker until gathered; smaller ones travel with their completion. */
export const REPORT_LIMIT = 64 * 1024;

// ---- client <-> scheduler --------------------------------------------------------------

/** One submission: a graph, the keys wanted of it, and its options. */
export interface SubmitPart {
  graph: WireGraph;
  wanted: string[];
  options?: Record<string, TaskOptions>;
  defaults?: TaskOptions;
  /** Keys to keep after the client disconnects (fire and forget). */
  keep?: string[];
  /** Send `task-events` for every task of this submission (progress bars, profilers). */
  progress?: boolean;
}

/** Client -> scheduler. */
export type ClientMessage =
  | {
      type: 'submit';
      id: number;
      graph: WireGraph;
      wanted: string[];
      options?: Record<string, TaskOptions>;
      defaults?: TaskOptions;
      /** Keys to keep after the client disconnects (fire and forget). */
      keep?: string[];
      /** Send `task-events` for every task of this submission (progress bars, profilers). */
      progress?: boolean;
    }
  /**
   * Submissions made in one tick, in order: each admitted or refused alone (answered by one
   * `submitted` whose `failed` lists the refused ones by index).
   */
  | { type: 'submits'; id: number; parts: SubmitPart[] }
  | { type: 'release'; keys: string[] }
  /** Cancel these keys and the dependents only this client wants (each reported ERR_CANCELLED). */
  | { type: 'cancel'; keys: string[] }
  /** Run these failed keys again, with the failed tasks they depend on. */
  | { type: 'retry'; keys: string[] }
  | { type: 'gather'; id: number; keys: string[] }
  | {
      type: 'scatter';
      id: number;
      keys: string[];
      values: unknown[];
      workers?: string[];
      broadcast?: boolean;
    }
  | { type: 'module'; url: string; code: string }
  /** Answered with `{ [key]: worker ids holding it }` for the keys the scheduler knows. */
  | { type: 'who-has'; id: number; keys: string[] }
  | { type: 'info'; id: number }
  | { type: 'ping'; id: number }
  | { type: 'keep'; keys: string[] };

/** What the scheduler tells a client of one wanted key (finished, failed or lost). */
export type KeyReport =
  | { type: 'report'; key: string; state: 'memory'; nbytes: number }
  | { type: 'report'; key: string; state: 'erred'; error: SerializedError; blame: string }
  | { type: 'report'; key: string; state: 'lost' };

/** Scheduler -> client. */
export type ToClient =
  | KeyReport
  /** The reports of one scheduler step, in order (one message instead of one per key). */
  | { type: 'reports'; reports: KeyReport[] }
  | {
      type: 'submitted';
      id: number;
      error?: SerializedError;
      /** Of a `submits`, the parts refused (by index), each with its error. */
      failed?: { index: number; error: SerializedError }[];
    }
  | { type: 'gathered'; id: number; keys: string[]; values: unknown[]; missing: string[] }
  | { type: 'scattered'; id: number; error?: SerializedError }
  | { type: 'answer'; id: number; value: unknown }
  | { type: 'task-events'; events: TaskEvent[] }
  | { type: 'pong'; id: number };

// ---- scheduler <-> worker process -------------------------------------------------------

/** Scheduler -> worker process. */
export type ToWorkerProcess =
  | {
      type: 'run';
      worker: string;
      tasks: WireTask[];
      /**
       * Where to reach the threads of other processes that the tasks' fetches name (as Dask's
       * compute-task carries `who_has`): the only way a worker process learns of its peers,
       * each the first time it has to fetch from them. Left out when every input is local.
       */
      holders?: WorkerInfo[];
    }
  | { type: 'free'; worker: string; keys: string[] }
  | { type: 'cancel'; worker: string; keys: string[] }
  | { type: 'gather'; id: number; worker: string; keys: string[] }
  | { type: 'put'; id: number; worker: string; keys: string[]; values: unknown[] }
  | {
      type: 'relay-fetch';
      id: number;
      from: string;
      worker: string;
      keys: string[];
      move: boolean[];
    }
  | { type: 'relay-data'; id: number; values: unknown[]; missing: string[] }
  /** WebRTC signaling from another worker process (relayed; see `signal` below). */
  | { type: 'signal'; from: string; data: unknown }
  /**
   * The thread is stuck (a run went past its timeout) and is out of the engine: end it and
   * start a new one with the same id (`thread-exit`, then `thread-ready`). Its data is gone.
   */
  | { type: 'restart'; worker: string; reason: string }
  /**
   * The scheduler is alive. `heartbeat`: report at most this often (ms); the scheduler thins
   * heartbeats as the cluster grows (server/scheduler/liveness.ts), as Dask does.
   */
  | { type: 'ping'; heartbeat?: number };

/** Worker process -> scheduler. */
export type FromWorkerProcess =
  | { type: 'results'; worker: string; results: TaskResult[] }
  | { type: 'gathered'; id: number; values: unknown[]; missing: string[] }
  | { type: 'relay-fetch'; id: number; to: string; keys: string[]; move: boolean[] }
  | { type: 'relay-data'; id: number; to: string; values: unknown[]; missing: string[] }
  | { type: 'put-done'; id: number }
  /** A thread died (process.exit, out of memory) and is being replaced. */
  | { type: 'thread-exit'; worker: string; running?: string }
  /** A replaced thread is ready again (a new engine worker with the same id). */
  | { type: 'thread-ready'; worker: string }
  | { type: 'heartbeat'; metrics: WorkerMetrics }
  /** WebRTC signaling (offer, answer, ICE candidate) for the worker process `to`. */
  | { type: 'signal'; to: string; data: unknown };

/** What a worker process reports with each heartbeat. */
export interface WorkerMetrics {
  /** Resident memory of the process (bytes). */
  memory: number;
  /** Bytes received by transport. */
  bytesIn: Record<string, number>;
  bytesOut: Record<string, number>;
  /** Bytes of held results spilled to disk (IndexedDB in browsers). */
  spilled?: number;
  /**
   * Past its memory pause threshold: it takes no new tasks until this is false again (sent at
   * once when it changes, besides every heartbeat).
   */
  paused?: boolean;
  /** Past its memory terminate threshold: its supervisor is restarting it (its data is lost). */
  terminating?: boolean;
}

/** Between two worker processes on a direct peer connection. */
export type PeerWireMessage =
  | { type: 'hello-peer'; version: number; from: string; token?: string }
  | { type: 'fetch'; id: number; worker: string; keys: string[]; move: boolean[] }
  | { type: 'data'; id: number; values: unknown[]; missing: string[] };

/** A worker process the scheduler no longer gives tasks (see `ClusterInfo.quarantined`). */
export interface QuarantinedProcess {
  name: string;
  host: string;
  workers: string[];
  key: string;
  reason: string;
  /** Epoch milliseconds. */
  since: number;
}

/** A summary of the cluster: the answer to `info` (`client.info()`, the scheduler's `/api/info`). */
export interface ClusterInfo {
  workers: { id: string; nthreads: number; host: string; memory?: number; keys: number }[];
  tasks: Record<string, number>;
  /**
   * Worker processes quarantined (cluster): one of their results disagreed with the majority
   * of a task with `verify`, so they get no more tasks.
   */
  quarantined?: QuarantinedProcess[];
}

// ---- dashboards -------------------------------------------------------------------------

/** Dashboard messages (live frames, at most ~10 per second; graph requests): their own module. */
export type {
  DashboardUpdate,
  DashboardRequest,
  DashboardGraph,
  ToDashboard,
} from './dashboard-protocol.js';

/** A fetch as a worker process is asked to do it (re-exported for the worker side). */
export type { Fetch };
