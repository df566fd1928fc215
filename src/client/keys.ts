/**
 * A client's keys: one `KeyState` per key it holds futures of, with a reference count. When
 * the last future of a key goes, the key is released on the cluster, in one batched message
 * per microtask.
 *
 * A cancelled state is detached: it stays with the futures that saw it, and the key gets a
 * fresh state if it is submitted again (Dask pops a cancelled key from `client.futures`). A
 * detached state going unreferenced releases nothing (the cancellation already did).
 */
import { BaskError } from '../errors.js';
import type { Report } from '../local/backend.js';
import { KeyState } from './future.js';

/** The states of the keys a client holds futures of. */
export class KeyStates {
  private readonly states = new Map<string, KeyState>();
  private pendingRelease: string[] = [];
  private releaseScheduled = false;

  /** `release` tells the cluster the client no longer wants these keys. */
  constructor(private readonly release: (keys: string[]) => void) {}

  /** Whether the client holds a live (not detached) state of `key`. */
  has(key: string): boolean {
    return this.states.has(key);
  }

  get(key: string): KeyState | undefined {
    return this.states.get(key);
  }

  /** The live state of `key`, made on first use. */
  stateOf(key: string): KeyState {
    let state = this.states.get(key);
    if (state === undefined) {
      state = new KeyState(key);
      this.states.set(key, state);
    }
    return state;
  }

  /** A state for new data under `key` (scatter): a failed one is replaced, not reused. */
  dataStateOf(key: string): KeyState {
    const state = this.states.get(key);
    if (state !== undefined && state.status === 'error') this.states.delete(key);
    return this.stateOf(key);
  }

  /** A state that is cancelled from the start and never registered (a doomed submission). */
  cancelledState(key: string, error: Error): KeyState {
    const state = new KeyState(key);
    state.cancel(error);
    return state;
  }

  /** Cancels `state` and detaches it from its key. Returns false when it already was. */
  cancel(state: KeyState, error: Error): boolean {
    if (state.status === 'cancelled') return false;
    state.cancel(error);
    if (this.states.get(state.key) === state) this.states.delete(state.key);
    return true;
  }

  /** One future of `state` is gone; the last one releases the key (if the state is live). */
  unref(key: string, state: KeyState, closed: boolean): void {
    if (--state.refs > 0 || this.states.get(key) !== state) return;
    this.states.delete(key);
    if (closed) return;
    this.pendingRelease.push(key);
    if (this.releaseScheduled) return;
    this.releaseScheduled = true;
    queueMicrotask(() => {
      this.releaseScheduled = false;
      // A key submitted again meanwhile is wanted again: not released.
      const keys = this.pendingRelease.filter((k) => !this.states.has(k));
      this.pendingRelease = [];
      if (keys.length > 0) this.release(keys);
    });
  }

  /** Applies a report of the cluster to the key's live state. */
  onReport(report: Report): void {
    const state = this.states.get(report.key);
    if (state === undefined) return;
    if (report.state === 'memory') state.finish(report.value, report.hasValue);
    else if (report.state === 'lost') state.lose();
    else if (isCancellation(report.error)) this.cancel(state, report.error);
    else state.fail(report.error);
  }

  /**
   * The scheduler is gone (the connection dropped): every key is dropped (`KeyState.drop`,
   * with the error `errorOf(key)` gives) and detached, so that a later submission of the key
   * starts afresh and releasing its old futures tells the next scheduler nothing.
   */
  dropAll(errorOf: (key: string) => Error): void {
    const states = [...this.states.values()];
    this.states.clear();
    this.pendingRelease = [];
    for (const state of states) state.drop(errorOf(state.key));
  }

  /** Fails every key not done yet (the connection or the pool is gone). */
  failPending(error: Error): void {
    for (const state of this.states.values()) if (!state.isDone) state.fail(error);
  }
}

/** The engine reports a cascaded cancellation as a failure with ERR_CANCELLED. */
function isCancellation(error: Error): boolean {
  return error instanceof BaskError && error.code === 'ERR_CANCELLED';
}
