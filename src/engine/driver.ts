/**
 * The one driver shell around the engine (distributed's `BaseWorker.handle_stimulus` is the
 * model): it owns the event queue and the drain loop (events in, `engine.handleMany`,
 * instructions out), hands each instruction to an adapter, and turns workers' task results
 * into engine events. The sync scheduler, the worker pool and the cluster scheduler are
 * adapters that compose one; they own their I/O, this owns the loop.
 *
 *   adapter ──submit(events)──> queue ──drain──> engine.handleMany ──> instructions
 *      ▲                                                                   │
 *      └── execute / freeKeys / cancelTask / report / quarantine ◄─────────┘
 *
 * Policy: a drain is re-entrant safe: events submitted while it runs (by an adapter carrying
 * out an instruction) join the queue and are handled by the same drain, in order. Values that
 * came with results are kept for the drain that reports them, then dropped.
 *
 * Invariants: no I/O and no timers here; the adapter hears `drained` once per outermost drain
 * that completes (the moment to flush batched output).
 */
import { deserializeError, type SerializedError } from '../errors.js';
import type { TaskRecord } from './types.js';
import type { EngineEvent, Instruction, WorkerId } from './types.js';

/** An `execute` instruction. */
export type Execute = Extract<Instruction, { type: 'execute' }>;
/** A `free-keys` instruction. */
export type FreeKeys = Extract<Instruction, { type: 'free-keys' }>;
/** A `cancel-task` instruction. */
export type CancelTask = Extract<Instruction, { type: 'cancel-task' }>;
/** A `report` instruction (memory, erred or lost). */
export type Report = Extract<Instruction, { type: 'report' }>;
/** A `quarantine` instruction (only engines that replicate emit it). */
export type Quarantine = Extract<Instruction, { type: 'quarantine' }>;

/** What a driver needs of an engine. */
export interface DrivenEngine {
  handleMany(events: readonly EngineEvent[]): Instruction[];
}

/** The I/O side of a driver: carries out the engine's instructions. */
export interface DriverAdapter {
  execute(ins: Execute): void;
  freeKeys(ins: FreeKeys): void;
  cancelTask(ins: CancelTask): void;
  report(ins: Report): void;
  /** Absent where the engine never quarantines (local drivers). */
  quarantine?(ins: Quarantine): void;
  /** After each engine step, with its instructions and the events that caused them. */
  stepped?(instructions: readonly Instruction[], events: readonly EngineEvent[]): void;
  /** After the outermost drain completed: flush what was batched. */
  drained?(): void;
}

/** One finished (or failed, or blocked) task as a worker reports it (the wire's `TaskResult`). */
export interface WorkerResult {
  key: string;
  /** Epoch milliseconds. */
  start: number;
  end: number;
  nbytes?: number;
  /** The value, when a report was asked for. */
  value?: unknown;
  hasValue?: boolean;
  /** SHA-256 of the value's wire encoding, when the task asked for it (`hash: 1`). */
  hash?: string;
  error?: SerializedError;
  /** Dependencies that could not be fetched. */
  missing?: { key: string; from: string }[];
  /** Of `missing`, those whose data did not match its verified hash (the holder lied). */
  forged?: { key: string; from: string }[];
}

/** A value that came with a completion (the worker's result itself). */
export interface SentValue {
  readonly value?: unknown;
}

/** How many results past the last one found `sentValue` looks at before it indexes them. */
const NEAR = 8;

/** The drain loop and the instruction dispatch around one engine. */
export class Driver<E extends DrivenEngine = DrivenEngine> {
  private events: EngineEvent[] = [];
  private draining = false;
  /**
   * This drain's results that came with values, and who sent each, in the order they came:
   * the engine reports in that order, so a report finds its value a few entries after the
   * last one found (`valuedAt`), without a hash per value. `valuedIndex` (key -> positions)
   * is made on the first report that is not near.
   */
  private readonly valued: WorkerResult[] = [];
  private readonly valuedBy: WorkerId[] = [];
  private valuedAt = 0;
  private valuedIndex: Map<string, number[]> | undefined;

  constructor(
    readonly engine: E,
    private readonly adapter: DriverAdapter,
  ) {}

  /** True while a drain runs (output is flushed when it ends). */
  get isDraining(): boolean {
    return this.draining;
  }

  /** Queues an event for the current (or next) drain without starting one. */
  queue(event: EngineEvent): void {
    this.events.push(event);
  }

  /** Queues events and drains, unless a drain is running (it will take them). */
  submit(events: readonly EngineEvent[]): void {
    if (this.draining) {
      for (let i = 0; i < events.length; i++) this.events.push(events[i] as EngineEvent);
      return;
    }
    this.draining = true;
    try {
      // The caller's array is the first batch when nothing is queued (one task's completion
      // in the sync scheduler): no copy on the hot path.
      let batch = events;
      if (this.events.length > 0) {
        for (const e of events) this.events.push(e);
        batch = this.takeQueued();
      }
      while (batch.length > 0) {
        const instructions = this.engine.handleMany(batch);
        this.dispatch(instructions);
        this.adapter.stepped?.(instructions, batch);
        batch = this.takeQueued();
      }
    } finally {
      this.draining = false;
      if (this.valued.length > 0) this.dropValues();
    }
    this.adapter.drained?.();
  }

  /**
   * Turns one worker's results into engine events (queued, not drained: call `submit([])` or
   * pass more events): an error becomes `task-erred` with the real error, missing inputs
   * `task-missing-data`, anything else `task-finished`; values kept for this drain's reports.
   */
  queueResults(worker: WorkerId, results: readonly WorkerResult[]): void {
    for (let i = 0; i < results.length; i++) {
      const r = results[i] as WorkerResult;
      const duration = (r.end - r.start) / 1000;
      if (r.error !== undefined) {
        const error = deserializeError(r.error);
        this.events.push({ type: 'task-erred', key: r.key, worker, error, duration });
      } else if (r.missing !== undefined) {
        this.events.push({
          type: 'task-missing-data',
          key: r.key,
          worker,
          missing: r.missing,
          ...(r.forged !== undefined ? { forged: r.forged } : {}),
        });
      } else {
        if (r.hasValue === true) {
          this.valued.push(r);
          this.valuedBy.push(worker);
          this.valuedIndex = undefined;
        }
        const nbytes = r.nbytes ?? 0;
        this.events.push(
          r.hash === undefined
            ? { type: 'task-finished', key: r.key, worker, nbytes, duration }
            : { type: 'task-finished', key: r.key, worker, nbytes, duration, hash: r.hash },
        );
      }
    }
  }

  /** The value `worker` sent with `key`'s completion in this drain, if it sent one. */
  sentValue(key: string, worker: WorkerId): SentValue | undefined {
    const { valued, valuedBy } = this;
    const end = Math.min(valued.length, this.valuedAt + NEAR);
    for (let i = this.valuedAt; i < end; i++) {
      if ((valued[i] as WorkerResult).key === key && valuedBy[i] === worker) {
        // Not past it: another client's report of the same key may come next.
        this.valuedAt = i;
        return valued[i];
      }
    }
    if (valued.length === 0) return undefined;
    const index = (this.valuedIndex ??= indexByKey(valued));
    // The last one wins, as it would in a map.
    const at = index.get(key) ?? [];
    for (let j = at.length - 1; j >= 0; j--) {
      const i = at[j] as number;
      if (valuedBy[i] !== worker) continue;
      this.valuedAt = i; // the next report is likely near this one
      return valued[i];
    }
    return undefined;
  }

  private dropValues(): void {
    this.valued.length = 0;
    this.valuedBy.length = 0;
    this.valuedAt = 0;
    this.valuedIndex = undefined;
  }

  /** The queued events, leaving the queue empty (a fresh array only when there were any). */
  private takeQueued(): readonly EngineEvent[] {
    const queued = this.events;
    if (queued.length > 0) this.events = [];
    return queued;
  }

  private dispatch(instructions: readonly Instruction[]): void {
    const adapter = this.adapter;
    for (let i = 0; i < instructions.length; i++) {
      const ins = instructions[i] as Instruction;
      switch (ins.type) {
        case 'execute':
          adapter.execute(ins);
          break;
        case 'free-keys':
          adapter.freeKeys(ins);
          break;
        case 'cancel-task':
          adapter.cancelTask(ins);
          break;
        case 'report':
          adapter.report(ins);
          break;
        case 'quarantine':
          adapter.quarantine?.(ins);
          break;
      }
    }
  }
}

/** Positions of each key in `results`. */
function indexByKey(results: readonly WorkerResult[]): Map<string, number[]> {
  const index = new Map<string, number[]>();
  for (let i = 0; i < results.length; i++) {
    const key = (results[i] as WorkerResult).key;
    const at = index.get(key);
    if (at === undefined) index.set(key, [i]);
    else at.push(i);
  }
  return index;
}

/** Keys grouped by the worker holding each (its first holder), and the keys nobody holds. */
export interface HolderGroups {
  readonly groups: Map<WorkerId, string[]>;
  readonly missing: string[];
}

/**
 * Groups keys for gathering: each under the first live holder the engine knows (`isLive`
 * says which workers the driver can still reach); keys without one are `missing`.
 */
export function groupByHolder(
  tasks: ReadonlyMap<string, TaskRecord>,
  keys: readonly string[],
  isLive: (worker: WorkerId) => boolean,
): HolderGroups {
  const groups = new Map<WorkerId, string[]>();
  const missing: string[] = [];
  for (const key of keys) {
    const holder = tasks.get(key)?.holders?.[0];
    if (holder === undefined || !isLive(holder.id)) {
      missing.push(key);
      continue;
    }
    const list = groups.get(holder.id);
    if (list === undefined) groups.set(holder.id, [key]);
    else list.push(key);
  }
  return { groups, missing };
}

/** The workers holding each key the engine knows (keys it does not know are left out). */
export function holdersOf(
  tasks: ReadonlyMap<string, TaskRecord>,
  keys: readonly string[],
): Map<string, WorkerId[]> {
  const out = new Map<string, WorkerId[]>();
  for (const key of keys) {
    const t = tasks.get(key);
    if (t !== undefined)
      out.set(
        key,
        (t.holders ?? []).map((w) => w.id),
      );
  }
  return out;
}
