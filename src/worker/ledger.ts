/**
 * What a worker's threads hold, by (thread, key): estimated bytes, where the value is
 * ('memory' in the thread, on its way to the spill store, or 'spilled' there), when it was last used,
 * and which keys queued tasks still need (pinned). Pure bookkeeping: no I/O.
 *
 * Policy (`victims`): past the memory budget, spill the least recently used results that no
 * queued task needs, until memory is back under the budget. A result bigger than the budget
 * is spilled too once unpinned: the budget is the point.
 */

/** Where a held value is. */
export type HeldState = 'memory' | 'spilling' | 'spilled';

/** One held value. */
export interface Held {
  readonly thread: string;
  readonly key: string;
  readonly nbytes: number;
  state: HeldState;
  /** Logical clock of the last use (produced, put, read, needed). */
  used: number;
  /** Settles when a spill in progress is written (or failed). */
  written?: Promise<void>;
  /** Which spill of this value its stored copy is (each spill writes a copy of its own). */
  slot?: number;
}

/** A worker's table of held values (volunteer tab or worker process). */
export class Ledger {
  private readonly entries = new Map<string, Held>();
  private readonly pins = new Map<string, number>();
  private clock = 0;
  /** Bytes in threads (memory and spilling). */
  memory = 0;
  /** Bytes in the spill store (IndexedDB, files). */
  spilled = 0;
  spilledKeys = 0;

  /** Records a value now held in memory by `thread` (replacing any previous record). */
  add(thread: string, key: string, nbytes: number): Held {
    this.remove(thread, key);
    const held: Held = { thread, key, nbytes, state: 'memory', used: ++this.clock };
    this.entries.set(id(thread, key), held);
    this.memory += nbytes;
    return held;
  }

  get(thread: string, key: string): Held | undefined {
    return this.entries.get(id(thread, key));
  }

  /** Forgets a value; returns its record (the caller deletes a spilled copy). */
  remove(thread: string, key: string): Held | undefined {
    const held = this.entries.get(id(thread, key));
    if (held === undefined) return undefined;
    this.entries.delete(id(thread, key));
    this.account(held, -1);
    return held;
  }

  /** Marks a use (for LRU). */
  touch(held: Held): void {
    held.used = ++this.clock;
  }

  /** Moves a record to another state, keeping the byte counts right. */
  setState(held: Held, state: HeldState): void {
    if (this.entries.get(id(held.thread, held.key)) !== held) {
      held.state = state;
      return;
    }
    this.account(held, -1);
    held.state = state;
    this.account(held, 1);
  }

  private account(held: Held, sign: 1 | -1): void {
    if (held.state === 'spilled') {
      this.spilled += sign * held.nbytes;
      this.spilledKeys += sign;
    } else {
      this.memory += sign * held.nbytes;
    }
  }

  /** Keys needed by queued tasks are not spilled until released. */
  pin(keys: Iterable<string>): void {
    for (const k of keys) this.pins.set(k, (this.pins.get(k) ?? 0) + 1);
  }

  unpin(keys: Iterable<string>): void {
    for (const k of keys) {
      const n = (this.pins.get(k) ?? 0) - 1;
      if (n > 0) this.pins.set(k, n);
      else this.pins.delete(k);
    }
  }

  isPinned(key: string): boolean {
    return this.pins.has(key);
  }

  /** What to spill to get memory (minus spills in progress) under `limit`, oldest first. */
  victims(limit: number): Held[] {
    // Checked after every result a thread makes: under the budget (the usual case) it costs
    // nothing, instead of a walk over every held value (quadratic in the values held).
    if (this.memory <= limit) return [];
    let memory = 0;
    const candidates: Held[] = [];
    for (const h of this.entries.values()) {
      if (h.state !== 'memory') continue;
      memory += h.nbytes;
      if (!this.pins.has(h.key)) candidates.push(h);
    }
    if (memory <= limit) return [];
    candidates.sort((a, b) => a.used - b.used);
    const out: Held[] = [];
    for (const h of candidates) {
      if (memory <= limit) break;
      out.push(h);
      memory -= h.nbytes;
    }
    return out;
  }

  /** Every record of a thread (it died: all of them are gone). */
  ofThread(thread: string): Held[] {
    return [...this.entries.values()].filter((h) => h.thread === thread);
  }

  /** Keys held per thread. */
  countByThread(): Map<string, number> {
    const out = new Map<string, number>();
    for (const h of this.entries.values()) out.set(h.thread, (out.get(h.thread) ?? 0) + 1);
    return out;
  }

  get size(): number {
    return this.entries.size;
  }
}

function id(thread: string, key: string): string {
  return `${thread}\u0000${key}`;
}
