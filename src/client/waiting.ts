/**
 * Waiting on many futures: `asCompleted` (Dask's `as_completed`: an async iterator in
 * completion order that more futures can join) and `wait` (until all, or the first, are done,
 * with an optional timeout). Failed and cancelled futures count as done.
 *
 * Each future added is yielded once per time it was added (adding one twice yields it twice,
 * as in Dask), however many times its key reports. `clear()` forgets everything pending.
 */
import { BaskError } from '../errors.js';
import { Future, type FutureView } from './future.js';
import { collectFutures } from './shapes.js';

/** Options of {@link asCompleted}. */
export interface AsCompletedOptions {
  /**
   * Yield `[future, result]` pairs instead of futures. A failed future's error is thrown from
   * the iterator (unless `raiseErrors: false`); a cancelled future comes with its ERR_CANCELLED
   * error as its result.
   */
  withResults?: boolean;
  /**
   * With `withResults`: yield a failed future as `[future, error]` instead of throwing
   * (default true: throw).
   */
  raiseErrors?: boolean;
  /**
   * Milliseconds from the call of `asCompleted`: a `next()` that finds nothing ready after
   * that rejects with ERR_TIMEOUT (Dask's `timeout`).
   */
  timeout?: number;
}

/** What `asCompleted(..., { withResults: true })` yields: the future and its value (or error). */
export type FutureResult<T> = [future: Future<T>, result: T | BaskError];

interface Done<T> {
  future: Future<T>;
  result?: unknown;
}

/**
 * Futures in the order they complete (Dask's `as_completed`). Iterate it with `for await`;
 * `add`/`update` let more futures join while iterating.
 *
 * ```ts
 * const ac = asCompleted(client.map(inc, [1, 2, 3]));
 * for await (const future of ac) {
 *   if (needMore(await future)) ac.add(client.submit(inc, future));
 * }
 * ```
 */
export class AsCompleted<T, Item = FutureView<T>> implements AsyncIterableIterator<Item> {
  /** Futures added and not yet done: how many times each was added. */
  private readonly pending = new Map<Future<T>, number>();
  private ready: Done<T>[] = [];
  private wakers: (() => void)[] = [];
  private generation = 0;
  private readonly withResults: boolean;
  private readonly raiseErrors: boolean;
  private readonly deadline: number | undefined;

  constructor(futures: Iterable<FutureView<T>> = [], options: AsCompletedOptions = {}) {
    const { timeout } = options;
    if (timeout !== undefined && !(typeof timeout === 'number' && timeout >= 0))
      throw new BaskError(
        'ERR_INVALID_ARGUMENT',
        `asCompleted(futures, { timeout }): timeout must be a non-negative number of milliseconds, got ${String(timeout)}`,
      );
    this.withResults = options.withResults === true;
    this.raiseErrors = options.raiseErrors !== false;
    this.deadline = timeout === undefined ? undefined : Date.now() + timeout;
    this.update(futures);
  }

  /** Adds a future: it is yielded once it is done (once more if it was added before). */
  add(future: FutureView<T>): void {
    if (!(future instanceof Future))
      throw new BaskError(
        'ERR_INVALID_ARGUMENT',
        `asCompleted: expected a Future, got ${future === null ? 'null' : typeof future}`,
      );
    const f = future as Future<T>;
    this.pending.set(f, (this.pending.get(f) ?? 0) + 1);
    const generation = this.generation;
    f.addDoneCallback(() => this.track(f, generation));
  }

  /** Adds several futures. */
  update(futures: Iterable<FutureView<T>>): void {
    const list = [...futures];
    for (const f of list) this.add(f);
  }

  /** Futures still to be yielded: computing, or done and not yet taken. */
  count(): number {
    let n = this.ready.length;
    for (const times of this.pending.values()) n += times;
    return n;
  }

  /** True when nothing is left to yield. */
  isEmpty(): boolean {
    return this.count() === 0;
  }

  /** True when a completed future is ready to be taken without waiting. */
  hasReady(): boolean {
    return this.ready.length > 0;
  }

  /** Forgets every future, pending or ready: iteration ends. */
  clear(): void {
    this.generation++;
    this.pending.clear();
    this.ready = [];
    this.wake();
  }

  /** The next completed future (or pair); done when nothing is left. */
  async next(): Promise<IteratorResult<Item, undefined>> {
    for (;;) {
      const done = this.ready.shift();
      if (done !== undefined) return { done: false, value: this.itemOf(done) };
      if (this.pending.size === 0) return { done: true, value: undefined };
      await this.nextCompletion();
    }
  }

  /**
   * Every completed future ready now. With `block` (the default) waits for at least one
   * first; resolves to an empty array when nothing is left.
   */
  async nextBatch(block = true): Promise<Item[]> {
    if (block && this.ready.length === 0 && this.pending.size > 0) await this.nextCompletion();
    const batch = this.ready;
    this.ready = [];
    const items: Item[] = [];
    for (let i = 0; i < batch.length; i++) {
      try {
        items.push(this.itemOf(batch[i] as Done<T>));
      } catch (error) {
        // The failure is thrown; what came after it stays for the next call.
        this.ready = [...batch.slice(i + 1), ...this.ready];
        throw error;
      }
    }
    return items;
  }

  /** Batches of completed futures as soon as there are any (Dask's `batches()`). */
  async *batches(): AsyncGenerator<Item[], void, undefined> {
    for (;;) {
      const batch = await this.nextBatch(true);
      if (batch.length === 0) return;
      yield batch;
    }
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  toString(): string {
    let waiting = 0;
    for (const times of this.pending.values()) waiting += times;
    return `<AsCompleted: waiting=${waiting} done=${this.ready.length}>`;
  }

  // ---- internals ---------------------------------------------------------------------------

  private track(future: Future<T>, generation: number): void {
    if (!this.withResults || future.status !== 'finished') {
      this.enqueue({ future }, generation);
      return;
    }
    future.result().then(
      (value) => this.enqueue({ future, result: value }, generation),
      // Lost or cancelled after finishing: it comes with the error instead.
      () => this.enqueue({ future }, generation),
    );
  }

  private enqueue(done: Done<T>, generation: number): void {
    if (generation !== this.generation) return;
    const times = this.pending.get(done.future) ?? 0;
    if (times <= 1) this.pending.delete(done.future);
    else this.pending.set(done.future, times - 1);
    this.ready.push(done);
    this.wake();
  }

  private itemOf(done: Done<T>): Item {
    if (!this.withResults) return done.future as Item;
    const future = done.future;
    if (future.status === 'finished' && 'result' in done) return [future, done.result] as Item;
    const error = futureError(future);
    if (this.raiseErrors && future.status === 'error') throw error;
    return [future, error] as Item;
  }

  private wake(): void {
    const wakers = this.wakers;
    this.wakers = [];
    for (const w of wakers) w();
  }

  /** Resolves at the next completion (or `clear`); rejects with ERR_TIMEOUT at the deadline. */
  private nextCompletion(): Promise<void> {
    const remaining = this.deadline === undefined ? undefined : this.deadline - Date.now();
    if (remaining !== undefined && remaining <= 0) return Promise.reject(timedOut());
    return new Promise<void>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waker = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        resolve();
      };
      this.wakers.push(waker);
      if (remaining !== undefined)
        timer = setTimeout(() => {
          this.wakers = this.wakers.filter((w) => w !== waker);
          reject(timedOut());
        }, remaining);
    });
  }
}

function timedOut(): BaskError {
  return new BaskError('ERR_TIMEOUT', 'asCompleted: no future completed within its timeout');
}

/** The error a done future holds (its task's, or ERR_CANCELLED). */
function futureError(future: Future): BaskError {
  const error = future.keyState.error;
  if (error instanceof BaskError) return error;
  return new BaskError(
    future.status === 'cancelled' ? 'ERR_CANCELLED' : 'ERR_TASK_FAILED',
    error?.message ?? `Future '${future.key}' is ${future.status}`,
    { key: future.key, cause: error },
  );
}

/**
 * Futures as they complete (typed `FutureView`: see there). `withResults: true` yields
 * `[future, result]` pairs instead.
 *
 * ```ts
 * for await (const f of asCompleted(futures)) console.log(f.key, await f.result());
 * const ac = asCompleted([], { timeout: 60_000 }); ac.add(client.submit(inc, 1));
 * ```
 */
export function asCompleted<T>(
  futures?: Iterable<FutureView<T>>,
  options?: AsCompletedOptions & { withResults?: false },
): AsCompleted<T>;
export function asCompleted<T>(
  futures: Iterable<FutureView<T>>,
  options: AsCompletedOptions & { withResults: true },
): AsCompleted<T, FutureResult<T>>;
export function asCompleted<T>(
  futures: Iterable<FutureView<T>> = [],
  options: AsCompletedOptions = {},
): AsCompleted<T, FutureView<T> | FutureResult<T>> {
  return new AsCompleted<T, FutureView<T> | FutureResult<T>>(futures, options);
}

/** Options of {@link wait}. */
export interface WaitOptions {
  /** Give up after this many milliseconds (rejects with ERR_TIMEOUT). */
  timeout?: number;
  /** 'ALL_COMPLETED' (default) or 'FIRST_COMPLETED'. */
  returnWhen?: 'ALL_COMPLETED' | 'FIRST_COMPLETED';
}

/**
 * Waits for futures: one Future, an iterable of them, or arrays and plain objects holding
 * them (persisted Delayed values count as their futures). Resolves to `{ done, notDone }`.
 */
export async function wait<T>(
  futures: FutureView<T> | Iterable<FutureView<T>> | object,
  options: WaitOptions = {},
): Promise<{ done: Future<T>[]; notDone: Future<T>[] }> {
  const list = (
    futures instanceof Future || Array.isArray(futures) || !isIterable(futures)
      ? collectFutures(futures)
      : [...futures]
  ) as Future<T>[];
  const all = options.returnWhen !== 'FIRST_COMPLETED';
  const finished = new Promise<void>((resolve) => {
    let remaining = list.length;
    if (remaining === 0) resolve();
    for (const f of list) {
      f.addDoneCallback(() => {
        remaining--;
        if (!all || remaining === 0) resolve();
      });
    }
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit =
    options.timeout === undefined
      ? undefined
      : new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new BaskError(
                  'ERR_TIMEOUT',
                  `wait(): futures not done within ${options.timeout} ms`,
                ),
              ),
            options.timeout,
          );
        });
  try {
    await (limit === undefined ? finished : Promise.race([finished, limit]));
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
  return { done: list.filter((f) => f.done()), notDone: list.filter((f) => !f.done()) };
}

function isIterable(value: unknown): value is Iterable<unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function'
  );
}
