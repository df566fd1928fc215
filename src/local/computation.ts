/**
 * One `get`/`compute` call running on a pool: its promise, the results delivered so far, its
 * hooks and limits. It settles exactly once: all wanted keys delivered, the first task error,
 * an abort, or the pool closing.
 */
import { abortedError } from '../errors.js';
import { emit, now, type Callbacks } from '../hooks.js';

/** The state of one computation on a pool. */
export class Computation {
  readonly results = new Map<string, unknown>();
  readonly promise: Promise<Map<string, unknown>>;
  settled = false;
  private remaining: number;
  private resolvePromise!: (results: Map<string, unknown>) => void;
  private rejectPromise!: (error: unknown) => void;
  readonly started = now();
  /** Emit performance.measure entries in workers (a Profiler listens). */
  readonly measure: boolean;
  private keySet: ReadonlySet<string> | undefined;

  constructor(
    readonly client: string,
    /** Every task key of the computation (for attributing hook events and timeouts). */
    private readonly taskKeys: readonly string[],
    readonly wanted: readonly string[],
    readonly hooks: readonly Callbacks[],
    readonly timeout: number | undefined,
    readonly schedulerName: string,
  ) {
    this.remaining = wanted.length;
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

  /** Records a wanted key's value; resolves when it was the last one. */
  deliver(key: string, value: unknown): void {
    if (this.settled) return;
    const results = this.results;
    const before = results.size;
    // One lookup: a key delivered again (recomputed after its holder died) is counted once.
    results.set(key, value);
    if (results.size !== before && --this.remaining === 0) this.succeed();
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
    this.resolvePromise(this.results);
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
