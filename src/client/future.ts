/**
 * Futures: handles on keys a client submitted. Many `Future` objects may share one key; the
 * key's state (`KeyState`) lives once in the client, with a reference count. When the last
 * future of a key is released (explicitly, or by the garbage collector through a
 * FinalizationRegistry), the client tells the scheduler it no longer wants the key.
 *
 * A Future is thenable, as in Dask's async API: `await future` is `await future.result()`.
 * So a promise never resolves to a Future (it adopts the Future's value): the client hands
 * futures out synchronously (`submit`, `map`, `scatter`, `compute`, `get`).
 *
 * Invariants: every waiter settles (when the key finishes, fails, is cancelled, or the client
 * closes); a done-callback runs exactly once; a cancelled state is final (the client detaches
 * it from the key, so a later submission of the key gets a fresh state).
 */
import { BaskError } from '../errors.js';
import { KEY_HANDLE } from '../graph/spec.js';
import type { Client } from './client.js';

/** The state of a key, as futures see it (Dask's future.status). */
export type FutureStatus = 'pending' | 'finished' | 'error' | 'cancelled' | 'lost';

/** What a client does for its futures. */
export interface FutureOwner {
  /** Fetches the value of a finished key (gather). */
  fetch(key: string): Promise<unknown>;
  /** Cancels the key (and its dependents that only this client wants). */
  cancelKey(key: string, state: KeyState): void;
  /** Runs the key again after a failure (and the failed tasks it depends on). */
  retryKey(key: string, state: KeyState): void;
  /** One future of the key is gone. */
  unref(key: string, state: KeyState): void;
}

/** A key's shared state in the client. */
export class KeyState {
  status: FutureStatus = 'pending';
  error: Error | undefined;
  /** A small result that came with the report, if any. */
  value: unknown;
  hasValue = false;
  refs = 0;
  private waiters: (() => void)[] = [];
  private callbacks: (() => void)[] = [];

  constructor(readonly key: string) {}

  /**
   * Finished, failed, cancelled, or lost for good (the scheduler went away with its data); not
   * pending, not lost and being recomputed.
   */
  get isDone(): boolean {
    if (this.status === 'lost') return this.error !== undefined;
    return this.status !== 'pending';
  }

  /** Lost for good: the scheduler that held it is gone (result() rejects with `error`). */
  get isGone(): boolean {
    return this.status === 'lost' && this.error !== undefined;
  }

  /** Resolves when the key is done (see `isDone`). */
  settled(): Promise<void> {
    if (this.isDone) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * The key's data is in memory (again, after a loss or a retry of a failed key); a small value
   * may come along.
   */
  finish(value?: unknown, hasValue = false): void {
    if (this.status === 'cancelled') return;
    this.value = value;
    this.hasValue = hasValue;
    this.moveTo('finished', undefined);
  }

  /** The key failed (a final state, until `retry`). */
  fail(error: Error): void {
    if (this.status === 'error' || this.status === 'cancelled') return;
    this.moveTo('error', error);
  }

  /** The key was cancelled: final, whatever it was (Dask cancels finished futures too). */
  cancel(error: Error): void {
    if (this.status === 'cancelled') return;
    this.moveTo('cancelled', error);
  }

  /** The key's data was lost; it is being recomputed (not done until it finishes again). */
  lose(): void {
    if (this.status !== 'finished') return;
    this.status = 'lost';
    this.hasValue = false;
    this.value = undefined;
  }

  /**
   * The scheduler that knew the key is gone (the connection dropped; a restarted scheduler
   * knows nothing): pending and finished keys become 'lost' for good, with `error`
   * (ERR_DATA_LOST). Failed and cancelled keys keep their outcome.
   */
  drop(error: Error): void {
    if (this.status === 'error' || this.status === 'cancelled' || this.isGone) return;
    this.hasValue = false;
    this.value = undefined;
    this.moveTo('lost', error);
  }

  /** A failed key runs again: pending until it reports anew. Returns whether it was failed. */
  reset(): boolean {
    if (this.status !== 'error') return false;
    this.status = 'pending';
    this.error = undefined;
    return true;
  }

  /** Calls `callback` once, when the key is done (now, if it already is). */
  onDone(callback: () => void): void {
    if (this.isDone) runCallback(callback);
    else this.callbacks.push(callback);
  }

  private moveTo(
    status: 'finished' | 'error' | 'cancelled' | 'lost',
    error: Error | undefined,
  ): void {
    this.status = status;
    this.error = error;
    const waiters = this.waiters;
    const callbacks = this.callbacks;
    this.waiters = [];
    this.callbacks = [];
    for (const w of waiters) w();
    // Each callback once: taken off the list before any runs (one may add another).
    for (const cb of callbacks) runCallback(cb);
  }
}

function runCallback(callback: () => void): void {
  try {
    callback();
  } catch (e) {
    console.error('bask: a future done-callback threw', e);
  }
}

/**
 * A Future as a `for await` loop sees it (`asCompleted`): the same object, typed without
 * `then`. TypeScript types the items of an async iterator as awaited, which would turn a
 * thenable Future into its value's type; the runtime does not await them. In such a loop, take
 * the value with `await future.result()`.
 */
export type FutureView<T = unknown> = Omit<Future<T>, 'then'>;

const registry = new FinalizationRegistry<{ owner: FutureOwner; key: string; state: KeyState }>(
  (held) => held.owner.unref(held.key, held.state),
);

/**
 * A handle on a value being computed (or computed) by a cluster. Thenable: `await future`
 * waits for its value (rejecting with the task's error, or ERR_CANCELLED), like `result()`.
 */
export class Future<T = unknown> implements PromiseLike<T> {
  // Truly private (#): printing a future (test runners, consoles) shows its key, not its client.
  readonly #state: KeyState;
  readonly #owner: FutureOwner;
  #released = false;

  /** @internal Made by `Client`; do not construct directly. */
  constructor(
    readonly key: string,
    state: KeyState,
    owner: FutureOwner,
  ) {
    this.#state = state;
    this.#owner = owner;
    state.refs++;
    registry.register(this, { owner, key, state }, this);
  }

  /** Lets futures be passed into `delayed` calls, `submit` and graphs: refs to the key. */
  get [KEY_HANDLE](): string {
    return this.key;
  }

  /** The client this future belongs to. */
  get client(): Client {
    return this.#owner as unknown as Client;
  }

  /**
   * 'pending', 'finished', 'error', 'cancelled' or 'lost': data lost and being recomputed, or
   * lost for good when the client lost its scheduler (then `done()` is true and `result()`
   * rejects with ERR_DATA_LOST).
   */
  get status(): FutureStatus {
    return this.#state.status;
  }

  /** @internal The shared state of the key (the client's bookkeeping). */
  get keyState(): KeyState {
    return this.#state;
  }

  /** True once finished, failed, cancelled or lost for good. */
  done(): boolean {
    return this.#state.isDone;
  }

  /** True once cancelled (by `cancel()`, or because a future it depends on was). */
  cancelled(): boolean {
    return this.#state.status === 'cancelled';
  }

  /**
   * Waits for the value; rejects with the task's error (remote stack kept), ERR_CANCELLED, or
   * ERR_DATA_LOST when the scheduler that held it went away (it is never answered from a copy
   * kept by the client: submit the work again).
   */
  async result(): Promise<T> {
    for (;;) {
      await this.#state.settled();
      const s = this.#state;
      if (s.status === 'error' || s.status === 'cancelled' || s.isGone) throw this.failure();
      if (s.status !== 'finished') continue;
      if (s.hasValue) return s.value as T;
      try {
        return (await this.#owner.fetch(this.key)) as T;
      } catch (error) {
        // The data was lost between the report and the gather: it is recomputed; wait again.
        if (this.#state.status === 'finished') throw error;
      }
    }
  }

  /** `await future`: its value (see `result()`). */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.result().then(onFulfilled, onRejected);
  }

  /**
   * The task's error once it failed, or the ERR_CANCELLED error once cancelled; undefined if
   * it succeeded. Waits until done.
   */
  async exception(): Promise<Error | undefined> {
    await this.#state.settled();
    const s = this.#state.status;
    return s === 'error' || s === 'cancelled' || this.#state.isGone ? this.failure() : undefined;
  }

  /**
   * Cancels it: its task stops (and so does every dependent that only this client wants),
   * the key is released, and the future is 'cancelled' for good, even when it had finished.
   */
  cancel(): void {
    this.#owner.cancelKey(this.key, this.#state);
  }

  /**
   * Runs a failed future again, with the failed tasks it depends on (Dask's `retry`); it is
   * 'pending' until it reports anew (`await future` waits for the new result). No-op unless
   * it failed.
   */
  retry(): void {
    this.#owner.retryKey(this.key, this.#state);
  }

  /** Calls `callback(future)` once, when done (right away if it already is). */
  addDoneCallback(callback: (future: Future<T>) => void): void {
    this.#state.onDone(() => callback(this));
  }

  /** Lets the cluster forget the key once no future refers to it (also done on GC). */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    registry.unregister(this);
    this.#owner.unref(this.key, this.#state);
  }

  /** `using f = client.submit(...)` releases it at the end of the scope. */
  [Symbol.dispose](): void {
    this.release();
  }

  toString(): string {
    return `<Future: ${this.status}, key: ${this.key}>`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  private failure(): Error {
    const s = this.#state;
    if (s.error !== undefined) return s.error;
    return s.status === 'cancelled'
      ? new BaskError('ERR_CANCELLED', `Future '${this.key}' was cancelled`, { key: this.key })
      : new BaskError('ERR_TASK_FAILED', `Task '${this.key}' failed`, { key: this.key });
  }
}
