/**
 * Inputs checked against the content hash their verification accepted: a task's `fetch`
 * entries that carry a `hash` (a verified result held on another host). A holder that hashed
 * its result honestly and then served other bytes to its peers is caught here: the task
 * reports those inputs as forged (and missing), the bad copies are dropped, and the scheduler
 * quarantines the host that served them and recomputes what it held.
 *
 * Each value is hashed once (remembered by identity while held), whatever the number of tasks
 * that read it; a value replaced by a new fetch or put is checked again.
 */
import { fetchesOf, type WireTask } from '../wire/pool-protocol.js';
import { digestValue, isDigestReady } from './digest.js';

/** An input that did not match its hash, and who served it. */
export interface ForgedInput {
  key: string;
  from: string;
}

/** The inputs this worker has checked, by key. */
export class CheckedInputs {
  private readonly checked = new Map<string, unknown>();

  /** Whether `task` has inputs to check (then the digest must be loaded first). */
  needsCheck(task: WireTask, store: ReadonlyMap<string, unknown>): boolean {
    for (const f of fetchesOf(task))
      if (f.hash !== undefined && this.checked.get(f.key) !== store.get(f.key)) return true;
    return false;
  }

  /** Whether checking can run now (the wire codec the digest needs is loaded). */
  get isReady(): boolean {
    return isDigestReady();
  }

  /**
   * Checks `task`'s hashed inputs (all in `store`); drops and returns those that do not match
   * (empty when every one does).
   */
  check(task: WireTask, store: Map<string, unknown>): ForgedInput[] {
    const forged: ForgedInput[] = [];
    for (const f of fetchesOf(task)) {
      if (f.hash === undefined) continue;
      const value = store.get(f.key);
      if (this.checked.get(f.key) === value && this.checked.has(f.key)) continue;
      if (digestValue(value) === f.hash) {
        this.checked.set(f.key, value);
      } else {
        store.delete(f.key);
        this.checked.delete(f.key);
        forged.push({ key: f.key, from: f.from });
      }
    }
    return forged;
  }

  /** Forgets a key the worker no longer holds. */
  forget(key: string): void {
    this.checked.delete(key);
  }
}
