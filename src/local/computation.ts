/**
 * One `get`/`compute` call running on a pool: its promise, the values delivered so far (in
 * the order of the wanted keys), its hooks and limits. It settles exactly once: all wanted
 * keys delivered, the first task error, an abort, or the pool closing.
 *
 * A value finds its place by its engine record's rank (the batch's tasks are ranked in batch
 * order from `placed`'s base): no lookup by key per value, which for 100k tiny tasks was a
 * tenth of the main thread's time (bench/RESULTS.md, seventh round).
 */
import { abortedError } from '../errors.js';
import type { GraphBatch } from '../graph/prepare.js';
import { emit, now, type Callbacks } from '../hooks.js';

/** The state of one computation on a pool. */
export class Computation {
  /** The wanted keys' values, in the order of `wanted`. */
  readonly values: unknown[];
  readonly promise: Promise<unknown[]>;
  settled = false;
  private remaining: number;
  private resolvePromise!: (values: unknown[]) => void;
  private rejectPromise!: (error: unknown) => void;
  readonly started = now();
  /** Emit performance.measure entries in workers (a Profiler listens). */
  readonly measure: boolean;
  private keySet: ReadonlySet<string> | undefined;
  /** 1 where a wanted key's value came. */
  private readonly got: Uint8Array;
  /** Per position in the batch, 1 + the index of its key in `wanted` (0: not wanted). */
  private slots: Int32Array | undefined;
  /** The engine rank of the batch's first task (`placed`); -1 until then. */
  private base = -1;
  /** Wanted key -> index, made only for a value that comes by key alone. */
  private index: Map<string, number> | undefined;

  constructor(
    readonly client: string,
    /** Every task key of the computation, in batch order (for hook events and timeouts). */
    private readonly taskKeys: readonly string[],
    /** Unique keys, in the order of the values. */
    readonly wanted: readonly string[],
    readonly hooks: readonly Callbacks[],
    readonly timeout: number | undefined,
    readonly schedulerName: string,
  ) {
    this.remaining = wanted.length;
    this.values = new Array<unknown>(wanted.length);
    this.got = new Uint8Array(wanted.length);
    this.measure = hooks.some(
      (h) => (h as { measureInWorkers?: boolean }).measureInWorkers === true,
    );
    this.promise = new Promise((resolve, reject) => {
      this.resolvePromise = resolve;
      this.rejectPromise = reject;
    });
    emit(hooks, 'start', {
      scheduler: schedulerName,
      ntasks: taskKeys.length,
      keys: wanted,
      time: this.started,
    });
    if (this.remaining === 0) this.succeed();
  }

  /**
   * Every task key of the computation as a set, made on first use: only runs with hooks or a
   * timeout ask, and a set of 100k keys costs a hash each.
   */
  get keys(): ReadonlySet<string> {
    return (this.keySet ??= new Set(this.taskKeys));
  }

  /**
   * The engine gives the batch's tasks the ranks from `base` on, and `outputs` are the
   * batch positions of the wanted keys: values then find their place by rank, not by key.
   */
  placed(base: number, outputs: Int32Array | undefined): void {
    if (outputs === undefined || outputs.length !== this.wanted.length) return;
    const slots = new Int32Array(this.taskKeys.length);
    for (let i = 0; i < outputs.length; i++) {
      const at = outputs[i] as number;
      if (this.taskKeys[at] === this.wanted[i]) slots[at] = i + 1;
    }
    this.slots = slots;
    this.base = base;
  }

  /**
   * Records a wanted key's value (`rank`: its engine record's); resolves when it was the last
   * one. A key delivered again (recomputed after its holder died) is counted once.
   */
  deliver(key: string, value: unknown, rank: number): void {
    if (this.settled) return;
    const i = this.indexOf(key, rank);
    if (i < 0 || this.got[i] === 1) return;
    this.got[i] = 1;
    this.values[i] = value;
    if (--this.remaining === 0) this.succeed();
  }

  /** Where `key` goes in `values`: by its record's rank when that is in this batch. */
  private indexOf(key: string, rank: number): number {
    const at = rank - this.base;
    if (this.slots !== undefined && at >= 0 && at < this.taskKeys.length) {
      // A record made before this run (another client's) has a rank of its own: check the key.
      const slot = this.slots[at] as number;
      if (slot > 0 && this.taskKeys[at] === key) return slot - 1;
    }
    this.index ??= new Map(this.wanted.map((k, i) => [k, i]));
    return this.index.get(key) ?? -1;
  }

  /** Rejects (once). */
  fail(error: unknown): void {
    if (this.settled) return;
    this.finish({ error });
    this.rejectPromise(error);
  }

  /** Rejects with ERR_ABORTED. */
  abort(reason: unknown): void {
    this.fail(abortedError(reason));
  }

  private succeed(): void {
    this.finish({});
    this.resolvePromise(this.values);
  }

  /** Settled: hooks hear `finish` before the promise settles. */
  private finish(outcome: { error?: unknown }): void {
    this.settled = true;
    const end = now();
    emit(this.hooks, 'finish', {
      scheduler: this.schedulerName,
      time: end,
      elapsed: end - this.started,
      ...outcome,
    });
  }
}

/** A run's wanted keys without repeats, and where each key asked for finds its value. */
export interface Wanted {
  /** The distinct keys, in the order first asked. */
  readonly keys: readonly string[];
  /** Their positions in the batch, when the batch gave them. */
  readonly outputs: Int32Array | undefined;
  /** Per key asked for, its index in `keys`; undefined when no key repeats. */
  readonly from: Int32Array | undefined;
}

/**
 * The distinct keys of `asked` (keys may repeat), found by their batch positions: no hash per
 * key. Keys outside the batch (externals) are told apart by key.
 */
export function distinctWanted(asked: readonly string[], batch: GraphBatch): Wanted {
  const outputs = batch.outputs;
  let repeats = 0;
  let seen: Int32Array | undefined;
  if (outputs !== undefined && outputs.length === asked.length) {
    seen = new Int32Array(batch.keys.length);
    for (let i = 0; i < asked.length && seen !== undefined; i++) {
      const at = outputs[i] as number;
      if (batch.keys[at] !== asked[i]) {
        seen = undefined;
      } else {
        if (seen[at] === 1) repeats++;
        seen[at] = 1;
      }
    }
  }
  if (seen === undefined || outputs === undefined) {
    const keys = [...new Set(asked)];
    if (keys.length === asked.length) return { keys, outputs: undefined, from: undefined };
    const index = new Map(keys.map((k, i) => [k, i]));
    return { keys, outputs: undefined, from: Int32Array.from(asked, (k) => index.get(k) ?? 0) };
  }
  if (repeats === 0) return { keys: asked, outputs, from: undefined };
  // Again, `seen[at]` now 1 + the key's index in `keys`.
  seen.fill(0);
  const keys: string[] = [];
  const distinct = new Int32Array(asked.length - repeats);
  const from = new Int32Array(asked.length);
  for (let i = 0; i < asked.length; i++) {
    const at = outputs[i] as number;
    if (seen[at] === 0) {
      distinct[keys.length] = at;
      keys.push(asked[i] as string);
      seen[at] = keys.length;
    }
    from[i] = (seen[at] as number) - 1;
  }
  return { keys, outputs: distinct, from };
}
