/**
 * Futures: handles on keys a client submitted. Many `Future` objects may share one key; the
 * key's state (`KeyState`) lives once in the client, with a reference count. When the last
 * future of a key is released (explicitly, or by the garbage collector through a
 * FinalizationRegistry), the client tells the scheduler it no longer wants the key.
 *
 * Every waiter settles: when the key finishes, fails, is cancelled, or the client closes.
 */
import { BaskError } from '../errors.js';
import { KEY_HANDLE } from '../graph/spec.js';

/** The state of a key, as futures see it (Dask's future.status). */
export type FutureStatus = 'pending' | 'finished' | 'error' | 'cancelled' | 'lost';

/** What a client does for its futures. */
export interface FutureOwner {
  /** Fetches the value of a finished key (gather). */
  fetch(key: string): Promise<unknown>;
  /** Stops computing the key. */
  cancelKey(key: string): void;
  /** One future of the key is gone. */
  unref(key: string): void;
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
  private readonly callbacks: ((key: string) => void)[] = [];

  constructor(readonly key: string) {}

  /** Resolves when the key is no longer pending. */
  settled(): Promise<void> {
    if (this.status !== 'pending') return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Moves to a new status and wakes waiters (a pending key may become pending again: lost). */
  set(status: FutureStatus, error?: Error): void {
    // A failure or a cancellation is final for the futures that saw it.
    if (this.status === 'error' || this.status === 'cancelled') return;
    this.status = status;
    this.error = error;
    if (status === 'pending') return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
    for (const cb of this.callbacks) {
      try {
        cb(this.key);
      } catch (e) {
        console.error('bask: a future done-callback threw', e);
      }
    }
  }

  onDone(callback: (key: string) => void): void {
    this.callbacks.push(callback);
    if (this.status !== 'pending') callback(this.key);
  }
}

const registry = new FinalizationRegistry<{ owner: FutureOwner; key: string }>((held) =>
  held.owner.unref(held.key),
);

/** A handle on a value being computed (or computed) by a cluster. */
export class Future<T = unknown> {
  private released = false;

  /** @internal Made by `Client`; do not construct directly. */
  constructor(
    readonly key: string,
    private readonly state: KeyState,
    private readonly owner: FutureOwner,
  ) {
    state.refs++;
    registry.register(this, { owner, key }, this);
  }

  /** Lets futures be passed into `delayed` calls and `submit`: they become refs to the key. */
  get [KEY_HANDLE](): string {
    return this.key;
  }

  /** 'pending', 'finished', 'error', 'cancelled' or 'lost'. */
  get status(): FutureStatus {
    return this.state.status;
  }

  /** True once finished, failed or cancelled. */
  done(): boolean {
    return this.state.status !== 'pending' && this.state.status !== 'lost';
  }

  /** Waits for the value; rejects with the task's error (remote stack kept) or ERR_CANCELLED. */
  async result(): Promise<T> {
    for (;;) {
      await this.state.settled();
      const s = this.state;
      if (s.status === 'error')
        throw s.error ?? new BaskError('ERR_TASK_FAILED', `Task '${this.key}' failed`);
      if (s.status === 'cancelled')
        throw (
          s.error ??
          new BaskError('ERR_CANCELLED', `Future '${this.key}' was cancelled`, { key: this.key })
        );
      if (s.status === 'finished') {
        if (s.hasValue) return s.value as T;
        try {
          return (await this.owner.fetch(this.key)) as T;
        } catch (error) {
          // The data was lost between the report and the gather: it is recomputed; wait again.
          if (this.state.status === 'finished') throw error;
        }
      }
    }
  }

  /** The task's error once it failed (undefined if it succeeded); waits until done. */
  async exception(): Promise<Error | undefined> {
    await this.state.settled();
    return this.state.status === 'error' ? this.state.error : undefined;
  }

  /** Stops computing it (and everything only it needs). */
  cancel(): void {
    this.owner.cancelKey(this.key);
  }

  /** Calls `callback(future)` when done (right away if it already is). */
  addDoneCallback(callback: (future: Future<T>) => void): void {
    this.state.onDone(() => callback(this));
  }

  /** Lets the cluster forget the key once no future refers to it (also done on GC). */
  release(): void {
    if (this.released) return;
    this.released = true;
    registry.unregister(this);
    this.owner.unref(this.key);
  }

  /** `using f = client.submit(...)` releases it at the end of the scope. */
  [Symbol.dispose](): void {
    this.release();
  }

  toString(): string {
    return `<Future: ${this.status}, key: ${this.key}>`;
  }
}
