/**
 * The live dashboard's messages (types only), between the scheduler's dashboard hub
 * (server/dashboard/) and `mountDashboard` (src/diagnostics/dashboard/). A dashboard connects
 * with a `hello` of role 'dashboard' (wire/protocol.ts) and then receives `update` frames, at
 * most ~10 per second; it may ask for the task graph with a `graph` request.
 *
 * Policy: every frame carries a compact snapshot of the cluster (totals, task groups, workers)
 * plus what is new since that dashboard's previous frame (task runs, transfers), in columns so
 * a frame of thousands of runs stays small. A frame carries at most a few thousand runs (an even
 * sample when there were more); a dashboard that falls behind misses frames. Runs not sent are
 * counted in `runs.skipped`, never queued.
 */
import type { TaskState } from '../engine/types.js';

/** Scheduler -> dashboard: one frame of the live view. */
export interface DashboardUpdate {
  type: 'update';
  /** The scheduler's clock when the frame was made (epoch ms). */
  time: number;
  /** Frames this dashboard did not get because its connection was behind. */
  dropped: number;
  totals: DashboardTotals;
  /** Task groups (key prefixes), the most active first, at most a few hundred. */
  groups: GroupProgress[];
  /** Worker processes (Node or browser) with their threads. */
  workers: WorkerStatus[];
  /** Task runs since this dashboard's previous frame. */
  runs: TaskRuns;
  /** Data moved (or spilled) since this dashboard's previous frame. */
  transfers: TransferRun[];
}

/** Totals over the cluster. */
export interface DashboardTotals {
  /** Tasks finished since the scheduler started following (the first dashboard connected). */
  tasksDone: number;
  /** Tasks failed since then. */
  tasksErred: number;
  /** Finished tasks per second over the last second or so. */
  tasksPerSecond: number;
  /** Bytes workers sent to other workers (all transports), as their heartbeats say. */
  bytesMoved: number;
  /** Bytes of results held by workers (estimated). */
  bytesHeld: number;
  /** Results held by workers. */
  keysHeld: number;
  /** Tasks known to the scheduler now, by state. */
  states: Partial<Record<TaskState, number>>;
  /** Worker processes, worker threads, clients and dashboards connected. */
  processes: number;
  threads: number;
  clients: number;
  dashboards: number;
  /** Task groups not listed in `groups` (there were too many). */
  groupsOmitted: number;
  /** When the scheduler started following (epoch ms). */
  since: number;
}

/**
 * One task group's progress. `done` and `erred` count runs since the scheduler started
 * following (plus what was in memory or erred then); the other fields are tasks in that state
 * now. `total` is done + erred + processing + waiting.
 */
export interface GroupProgress {
  name: string;
  total: number;
  done: number;
  /** Finished and still held by a worker (part of `done`). */
  memory: number;
  processing: number;
  /** Waiting for dependencies or for a worker with room. */
  waiting: number;
  erred: number;
}

/** A worker process as the dashboard shows it. */
export interface WorkerStatus {
  /** The process's connection id. */
  id: string;
  name: string;
  kind: 'node' | 'browser';
  host: string;
  nthreads: number;
  /** Resident memory (bytes), from its last heartbeat. */
  memory: number;
  /** Its memory limit (bytes; 0 when none). */
  memoryLimit: number;
  /** Tasks assigned and not finished, over its threads. */
  running: number;
  /** Tasks finished, over its threads. */
  done: number;
  /** Results held, and their estimated size in bytes. */
  keys: number;
  bytes: number;
  /** Bytes received and sent by transport (`peer`, `relay`, ...), cumulative. */
  bytesIn: Record<string, number>;
  bytesOut: Record<string, number>;
  /** Bytes of held results spilled to disk (IndexedDB in browsers), as last reported. */
  spilled: number;
  /** Past its memory pause threshold: it takes no new tasks meanwhile. */
  paused?: boolean;
  /** When the scheduler last heard from it, and when it joined (epoch ms). */
  lastSeen: number;
  joined: number;
  threads: ThreadStatus[];
  /**
   * Set when it returned a result the majority of a task with `verify` disagreed with: it
   * gets no more tasks (`since` is epoch ms).
   */
  quarantined?: { key: string; reason: string; since: number };
}

/** One worker thread (one lane of the task stream). */
export interface ThreadStatus {
  id: string;
  running: number;
  done: number;
  keys: number;
  bytes: number;
}

/**
 * Task runs in columns: run i is `keys[i]`, of group `groupNames[group[i]]`, on the thread
 * `workerNames[worker[i]]`, from `start[i]` to `end[i]` (epoch ms on the worker), failed when
 * `failed[i]` is 1.
 */
export interface TaskRuns {
  /** The number of the first run since the previous frame (numbered in the order reported). */
  first: number;
  /** Runs since this dashboard's previous frame that are not here (too many, or it fell behind). */
  skipped: number;
  keys: string[];
  group: Uint32Array;
  groupNames: string[];
  worker: Uint32Array;
  workerNames: string[];
  start: Float64Array;
  end: Float64Array;
  failed: Uint8Array;
}

/**
 * Bytes a worker process moved between two of its heartbeats: received from or sent to
 * other workers over a transport, or written to / read from disk (`kind: 'spill'`).
 */
export interface TransferRun {
  /** The worker process's name. */
  worker: string;
  kind: 'transfer' | 'spill';
  direction: 'in' | 'out';
  /** The transport (`peer`, `relay`, ...) or `spill`. */
  path: string;
  bytes: number;
  /** The heartbeat interval it happened in (epoch ms on the scheduler). */
  start: number;
  end: number;
}

/** Dashboard -> scheduler. */
export type DashboardRequest = { type: 'graph'; id: number };

/** Scheduler -> dashboard: the task graph, or a summary of it by task group. */
export interface DashboardGraph {
  type: 'graph';
  id: number;
  graph: GraphSnapshot;
}

/** The tasks the scheduler knows, as a graph (small graphs) or by task group (large ones). */
export interface GraphSnapshot {
  /** 'tasks': one node per task; 'groups': one node per task group (too many tasks). */
  level: 'tasks' | 'groups';
  /** Tasks the scheduler knows. */
  tasks: number;
  nodes: GraphNode[];
  /** Edges from a dependency to its dependent, as indices into `nodes`. */
  edges: [number, number][];
  time: number;
}

/** A node of the graph snapshot: a task (with its state) or a task group (with counts). */
export interface GraphNode {
  id: string;
  group: string;
  /** The task's state ('tasks' level). */
  state?: TaskState;
  /** Tasks in the group, by state ('groups' level). */
  states?: Partial<Record<TaskState, number>>;
}

/** Everything the scheduler sends a dashboard after the welcome. */
export type ToDashboard = DashboardUpdate | DashboardGraph;
