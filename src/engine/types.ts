/**
 * The engine's vocabulary: the events it takes, the instructions it gives, and the records of
 * its state. Types and small classes only; the transitions live in `state.ts` and `core.ts`.
 *
 * Every driver (sync, pool, cluster) speaks exactly this: it turns what happens (a worker
 * finished a task, a socket closed) into events, and carries out the instructions.
 */
import type { Capacity } from './capacity.js';
import type { GraphBatch } from '../graph/prepare.js';
import { HeldIndex, LazyIndex } from './held.js';

/** The states of a task in the engine (Dask's scheduler states). */
export type TaskState =
  | 'released' // known, not needed now, no data
  | 'waiting' // needed; waits for dependencies
  | 'queued' // ready; waits for a worker with room
  | 'processing' // sent to a worker
  | 'memory' // done; data held by one or more workers
  | 'erred' // failed (or a dependency failed)
  | 'forgotten'; // dropped from the engine

/** Identifies a worker (a pool thread, a cluster worker thread, the sync inline worker). */
export type WorkerId = string;
/** Identifies a client (one `get` call, one `Client` connection). */
export type ClientId = string;

/** Per-task options that a submission may set (sparse: most tasks have none). */
export interface TaskOptions {
  /** Higher runs first (default 0). */
  priority?: number;
  /** How many times to retry after an error (default 0). */
  retries?: number;
  /** Only these workers may run the task (a name matches a worker thread or its process). */
  workers?: readonly WorkerId[];
  /**
   * Loose `workers` restrictions (Dask's `allow_other_workers`): when none of the named
   * workers is connected, any worker may run the task.
   */
  allowOtherWorkers?: boolean;
  /** Abstract resources the task holds while it runs (`{ GPU: 1 }`). */
  resources?: Readonly<Record<string, number>>;
  /**
   * Run on this many distinct worker hosts (processes, browser tabs) and accept the result only
   * when their hashes agree (default 1: no replication). Honoured where the engine replicates
   * (the cluster); local drivers run the task once. See verify.ts.
   */
  verify?: number;
  /**
   * Milliseconds a run may take on a worker. The cluster moves a late task to another host
   * (ERR_TIMEOUT once there is nowhere left to try); the pool fails it with ERR_TIMEOUT.
   */
  timeout?: number;
}

/** A submission: a graph batch, the keys the client wants, and per-task options. */
export interface GraphSubmitted {
  type: 'graph-submitted';
  client: ClientId;
  batch: GraphBatch;
  /** Keys whose results the client wants reported (and kept until it releases them). */
  wanted: readonly string[];
  /** Options by key, for the tasks that have any. */
  options?: ReadonlyMap<string, TaskOptions>;
  /** Options for every task of this batch (per-key options win). */
  defaults?: TaskOptions;
  /**
   * Where set, a submission the engine refuses (an unknown key, an impossible `verify`) is
   * handed its error here and the step goes on with the other events (a scheduler batching
   * several clients' submissions into one step); where absent, the step throws it.
   */
  onRefused?: (error: unknown) => void;
}

/** What drivers tell the engine. */
export type EngineEvent =
  | GraphSubmitted
  | {
      type: 'task-finished';
      key: string;
      worker: WorkerId;
      nbytes: number;
      duration: number;
      /** The result's content hash, when the task was sent with `hash` (replicated tasks). */
      hash?: string;
    }
  | { type: 'task-erred'; key: string; worker: WorkerId; error: unknown; duration?: number }
  /** A run went past the task's `timeout` (the driver keeps the clock). */
  | { type: 'task-timed-out'; key: string; worker: WorkerId }
  | {
      type: 'task-missing-data';
      key: string;
      worker: WorkerId;
      /** The dependencies that could not be fetched, and from whom. */
      missing: readonly { key: string; from: WorkerId }[];
      /** Of those, the ones whose holder served data that did not match its hash. */
      forged?: readonly { key: string; from: WorkerId }[];
    }
  | {
      type: 'worker-added';
      worker: WorkerId;
      nthreads: number;
      resources?: Readonly<Record<string, number>>;
      /** Workers on the same host move data cheaply (same process or machine). */
      host?: string;
    }
  /** Past its memory pause threshold (or back under it): no new tasks go to it meanwhile. */
  | { type: 'worker-paused'; worker: WorkerId; paused: boolean }
  | {
      type: 'worker-removed';
      worker: WorkerId;
      /** Keys known to have been running when it died; undefined when unknown. */
      running?: readonly string[];
      /** Why: 'closed' does not count against tasks, 'crashed' does (default 'crashed'). */
      reason?: 'crashed' | 'closed';
    }
  | {
      type: 'data-scattered';
      client: ClientId;
      key: string;
      worker: WorkerId;
      nbytes: number;
    }
  | { type: 'keys-released'; client: ClientId; keys: readonly string[] }
  /**
   * The client cancels these keys: it no longer wants them, and every dependent that no
   * other client wants is cancelled too (reported to its clients as erred with ERR_CANCELLED).
   */
  | { type: 'keys-cancelled'; client: ClientId; keys: readonly string[] }
  /** Run these erred keys again, with the erred tasks they depend on (Dask's `retry`). */
  | { type: 'keys-retried'; client: ClientId; keys: readonly string[] }
  | { type: 'client-removed'; client: ClientId }
  /**
   * Place more of the queued tasks: a step that hit `placementsPerStep` left some placeable
   * (`hasDeferredPlacement`); the driver sends this on a later turn of its event loop.
   */
  | { type: 'placement-resumed' };

/** A dependency that the worker must fetch before it runs a task. */
export interface Fetch {
  readonly key: string;
  /** A worker that holds it. */
  readonly from: WorkerId;
  /** True when this task is its last consumer: the holder may give it away (transfer). */
  readonly move: boolean;
  /**
   * The content hash the data must have: set for a verified result (`verify`) fetched from
   * another host, so that a holder that serves other bytes than it hashed is caught.
   */
  readonly hash?: string;
}

/** What the engine tells drivers to do. */
export type Instruction =
  | {
      type: 'execute';
      worker: WorkerId;
      key: string;
      spec: unknown;
      /** Dependencies held elsewhere (empty when all are local). */
      fetch: readonly Fetch[];
      /** A client wants this result: send the value back with the completion. */
      report: boolean;
      /** No other task will read the result (no live dependents when dispatched). */
      lastUse: boolean;
      /** Report the result's content hash (a replica of a task with `verify`). */
      hash?: true;
      /** The task's `timeout` (ms): it goes only to an idle thread, so the clock starts now. */
      timeout?: number;
    }
  | { type: 'free-keys'; worker: WorkerId; keys: string[] }
  | { type: 'cancel-task'; worker: WorkerId; key: string }
  | {
      type: 'report';
      client: ClientId;
      key: string;
      state: 'memory';
      worker: WorkerId;
      nbytes: number;
      /** The record's rank: a batch's tasks are ranked in batch order (see `ranksGiven`). */
      rank: number;
    }
  | { type: 'report'; client: ClientId; key: string; state: 'erred'; error: unknown; blame: string }
  | { type: 'report'; client: ClientId; key: string; state: 'lost' }
  /**
   * A host (worker process or tab) returned a result that disagrees with the majority for
   * `key`: its workers are out of the engine for good (no tasks, no data used).
   */
  | { type: 'quarantine'; host: string; workers: WorkerId[]; key: string; reason: string };

/** Average duration of the tasks of a group (key prefix), for placement and queue depth. */
export class TaskGroup {
  count = 0;
  /** Mean duration in seconds, or -1 before the first task finished. */
  duration = -1;
  constructor(readonly name: string) {}

  /** Folds in one more measured duration (seconds). */
  observe(seconds: number): void {
    this.count++;
    // A running mean for the first few, then an exponential moving average.
    const weight = this.count < 10 ? 1 / this.count : 0.1;
    this.duration =
      this.duration < 0 ? seconds : this.duration + weight * (seconds - this.duration);
  }
}

const NO_DEPENDENTS: TaskRecord[] = [];

/** The engine's record of one task. */
export class TaskRecord {
  state: TaskState = 'released';
  /** Dependents (a shared empty array until the first one arrives; never mutate that one). */
  dependents: TaskRecord[] = NO_DEPENDENTS;
  /** Dependents not forgotten (the array may hold forgotten ones until compacted). */
  liveDependents = 0;
  /** Dependencies not in memory (while waiting). */
  waitingOn = 0;
  /** Dependents in waiting, queued or processing: they will still read this task's data. */
  waiters = 0;
  /** Clients that want the result, or null (lists are shared: replaced, never changed in place). */
  wantedBy: readonly ClientId[] | null = null;
  processingOn: WorkerRecord | null = null;
  holders: WorkerRecord[] | null = null;
  nbytes = 0;
  /** Estimated microseconds (integer), added to the worker's occupancy while processing. */
  estimate = 0;
  /** The fields most tasks never set (see TaskExtras), created on the first one set. */
  private extras: TaskExtras | null = null;

  constructor(
    readonly key: string,
    /** What to run: opaque to the engine, passed on in `execute`. */
    public spec: unknown,
    public dependencies: TaskRecord[],
    /** Lower runs first among equal user priorities: generation and static order. */
    public rank: number,
    readonly group: TaskGroup,
  ) {}

  /** Times the task was running on a worker that died (suspected of killing workers). */
  get suspicious(): number {
    return this.extras === null ? 0 : this.extras.suspicious;
  }
  set suspicious(value: number) {
    if (value !== 0 || this.extras !== null) this.more().suspicious = value;
  }

  /** Why the task failed (while erred). */
  get error(): unknown {
    return this.extras === null ? undefined : this.extras.error;
  }
  set error(value: unknown) {
    if (value !== undefined || this.extras !== null) this.more().error = value;
  }

  /** Key of the task whose failure this task shares. */
  get blame(): string {
    return this.extras === null ? '' : this.extras.blame;
  }
  set blame(value: string) {
    if (value !== '' || this.extras !== null) this.more().blame = value;
  }

  /** The task's options, or null (most tasks have none). */
  get options(): TaskOptions | null {
    return this.extras === null ? null : this.extras.options;
  }
  set options(value: TaskOptions | null) {
    if (value !== null || this.extras !== null) this.more().options = value;
  }

  /** Retries left after a failure. */
  get retriesLeft(): number {
    return this.extras === null ? 0 : this.extras.retriesLeft;
  }
  set retriesLeft(value: number) {
    if (value !== 0 || this.extras !== null) this.more().retriesLeft = value;
  }

  /** Replicas, votes and timeouts of a task with `verify` or `timeout` (null until needed). */
  get checks(): TaskChecks | null {
    return this.extras === null ? null : this.extras.checks;
  }
  set checks(value: TaskChecks | null) {
    if (value !== null || this.extras !== null) this.more().checks = value;
  }

  private more(): TaskExtras {
    return (this.extras ??= new TaskExtras());
  }
}

/**
 * What a task holds only when it failed, has options or retries, was suspected of killing a
 * worker, or is checked: kept apart so that the common record stays small (a 1M-task graph
 * pays 8 bytes per task for all of them, not 48).
 */
class TaskExtras {
  suspicious = 0;
  error: unknown = undefined;
  blame = '';
  options: TaskOptions | null = null;
  retriesLeft = 0;
  checks: TaskChecks | null = null;
}

/** One replica's result: who computed it, and the content hash of what it computed. */
export interface Vote {
  readonly worker: WorkerRecord;
  /** The result's hash, or the error's vote (see `errorVote` in verify.ts). */
  readonly hash: string;
  readonly nbytes: number;
  /** The error, when the run failed. */
  readonly error?: unknown;
  /** False once its host is quarantined: kept to count a wrong result, never to decide. */
  counted: boolean;
}

/**
 * What a task with `verify` or `timeout` tracks beyond the common record (created on need).
 * While a verification goes on, the task is 'processing' with `processingOn` null: its runs
 * are in `running`, one per host, and its results in `votes`.
 */
export class TaskChecks {
  /** Workers running a replica now. */
  running: WorkerRecord[] = [];
  /** Results of this verification, at most one per host. */
  votes: Vote[] = [];
  /** Hosts that ran or run this verification: a replica never repeats on a host. */
  hosts: string[] = [];
  /** The hash the majority agreed on, kept to check results that come late. */
  accepted: string | undefined = undefined;
  /** Hosts where a run went past the task's timeout. */
  timedOut: string[] = [];
}

/** Counters of replication, verification and deadlines (the cluster's /metrics). */
export interface CheckCounters {
  /** Replica runs sent. */
  replicas: number;
  /** Tasks whose replicas reached agreement. */
  verified: number;
  /** Results that disagreed with the majority (every wrong result caught). */
  mismatches: number;
  /** Tasks that failed with ERR_VERIFY_FAILED (no majority). */
  verifyFailed: number;
  /** Runs that went past their timeout. */
  timeouts: number;
  /** Hosts quarantined. */
  quarantined: number;
  /** Fetched data that did not match its verified hash (each time, its holder quarantined). */
  forged: number;
}

/** Why a host was quarantined. */
export interface Quarantine {
  readonly host: string;
  readonly workers: WorkerId[];
  /** The task whose majority it disagreed with. */
  readonly key: string;
  readonly reason: string;
}

/** The engine's record of one worker. */
export class WorkerRecord {
  /** Tasks assigned and not finished (`processing.size`, kept as a plain count for policies). */
  nprocessing = 0;
  /** Tasks it runs now, pipelined ones and replicas included: what moves if it leaves. */
  readonly processing = new LazyIndex<TaskRecord, WorkerRecord>(this, runsOn);
  /** Tasks whose data it holds: what is lost if it leaves. */
  readonly held = new HeldIndex<TaskRecord, WorkerRecord>(this);
  /** Estimated microseconds of work assigned and not finished. */
  occupancy = 0;
  nbytes = 0;
  /** A suspicious task running alone on this worker, if any. */
  isolating: TaskRecord | null = null;
  readonly usedResources = new Map<string, number>();
  tasksDone = 0;
  /** Past its memory pause threshold: it keeps its data and running tasks, takes no new ones. */
  paused = false;
  /** The running totals that count it (capacity.ts); null until it joins an engine. */
  capacity: Capacity | null = null;
  /** Its place in join order (the order of the engine's worker list). */
  joined = 0;
  /** Whether it has an entry in its Capacity's idle heap (live or stale). */
  inIdle = false;
  /** Keys to free on it at the end of the engine's step (records.ts), or null. */
  freeing: string[] | null = null;

  constructor(
    readonly id: WorkerId,
    readonly nthreads: number,
    readonly resources: Readonly<Record<string, number>>,
    readonly host: string,
  ) {}

  /** Keys whose data it holds. */
  get nkeys(): number {
    return this.held.size;
  }
}

/** Whether `w` runs `t` now: as its one worker, or one of its replicas (`checks.running`). */
function runsOn(t: TaskRecord, w: WorkerRecord): boolean {
  return (
    t.processingOn === w || (t.processingOn === null && t.checks?.running.includes(w) === true)
  );
}
