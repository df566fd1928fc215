/**
 * Spill: a worker past its memory budget moves held results out of its threads into a store
 * (IndexedDB in a volunteer tab, files in a `bask worker` process) and reads them back when a
 * task, a peer or the scheduler needs them. Values are kept as the threads encode them for the
 * wire (plain data, typed arrays, markers for registered types).
 *
 * Policy: after every change that adds bytes, and whenever the budget shrinks (a memory sample
 * past the spill threshold), the least recently used unpinned results go (Ledger.victims)
 * until held results are back under the budget (memory-thresholds.ts). Taking a value out of a
 * thread is a `gather` with move, queued behind everything sent to that thread before, so a
 * task already queued there still finds it. A store that refuses a write (quota, disk full)
 * ends spilling: the values go back into their thread.
 */
import type { ToWorker } from '../wire/pool-protocol.js';
import type { Held, Ledger } from './ledger.js';
import type { Got } from './scheduler-dispatch.js';

/** Where spilled values go: one store per worker (a tab's database, a process's directory). */
export interface SpillStore {
  put(entries: [string, unknown][]): Promise<void>;
  /** Values in key order (undefined where absent). */
  get(keys: string[]): Promise<unknown[]>;
  del(keys: string[]): Promise<void>;
  /** Deletes the whole store (the worker leaves). */
  destroy(): Promise<void>;
}

/** What the spiller needs of a thread: take values out, put them back. */
export interface SpillThread {
  readonly id: string;
  gather(keys: string[], move: boolean): Promise<Got>;
  post(message: ToWorker): void;
}

/** Bytes written to and read from the store so far (for benchmarks and reports). */
export interface SpillCounters {
  written: number;
  read: number;
}

/** Moves values between a worker's threads and its spill store. */
export class Spiller {
  private store: Promise<SpillStore> | undefined;
  /** The store refused a write: stop trying (values stay in memory). */
  private failed = false;
  private slots = 0;
  readonly counters: SpillCounters = { written: 0, read: 0 };

  constructor(
    private readonly ledger: Ledger,
    /** Bytes of held results allowed in memory now (see managedBudget). */
    private readonly budget: () => number,
    private readonly openStore: () => Promise<SpillStore>,
    private readonly thread: (id: string) => SpillThread | undefined,
  ) {}

  /** Values now held in memory by `thread`; spills others if that breaks the budget. */
  held(thread: string, keys: readonly string[], nbytes: readonly number[]): void {
    keys.forEach((k, i) => this.ledger.add(thread, k, nbytes[i] ?? 0));
    this.check();
  }

  /** Forgets values (freed, moved away, or their thread died), deleting spilled copies. */
  forget(thread: string, keys: readonly string[]): void {
    const gone: Held[] = [];
    for (const k of keys) {
      const h = this.ledger.remove(thread, k);
      if (h !== undefined && h.state !== 'memory') gone.push(h);
    }
    if (gone.length === 0) return;
    void settled(gone)
      .then(() => this.open())
      .then((store) => store.del(gone.map(storeKey)))
      .catch(() => undefined);
  }

  /** Spills while memory is over the budget. */
  check(): void {
    if (this.failed) return;
    const victims = this.ledger.victims(this.budget());
    if (victims.length === 0) return;
    const byThread = new Map<string, Held[]>();
    for (const h of victims) {
      let list = byThread.get(h.thread);
      if (list === undefined) byThread.set(h.thread, (list = []));
      list.push(h);
    }
    for (const [id, list] of byThread) {
      const thread = this.thread(id);
      if (thread === undefined) continue;
      for (const h of list) h.slot = ++this.slots;
      const written = this.spill(thread, list);
      for (const h of list) {
        this.ledger.setState(h, 'spilling');
        h.written = written;
      }
    }
  }

  private async spill(thread: SpillThread, list: Held[]): Promise<void> {
    const got = await thread.gather(
      list.map((h) => h.key),
      true,
    );
    const missing = new Set(got.missing);
    const taken: { held: Held; value: unknown }[] = [];
    list.forEach((held, i) => {
      if (!missing.has(held.key)) taken.push({ held, value: got.values[i] });
      else if (this.ledger.get(held.thread, held.key) === held)
        this.ledger.remove(held.thread, held.key);
    });
    try {
      await (await this.open()).put(taken.map((t) => [storeKey(t.held), t.value]));
      for (const t of taken) {
        this.ledger.setState(t.held, 'spilled');
        this.counters.written += t.held.nbytes;
      }
    } catch {
      // The store refused: the values go back into the thread.
      this.failed = true;
      const back = taken.filter((t) => this.ledger.get(t.held.thread, t.held.key) === t.held);
      thread.post({
        type: 'put',
        keys: back.map((t) => t.held.key),
        values: back.map((t) => t.value),
        marked: true,
      });
      for (const t of taken) this.ledger.setState(t.held, 'memory');
    }
  }

  /**
   * Puts for the spilled values of `thread` among `keys`, to send before the tasks that need
   * them. The values go back to memory (and count there again).
   */
  async restore(thread: SpillThread, keys: Iterable<string>): Promise<ToWorker[]> {
    const out = await this.read(thread.id, [...keys], false);
    if (out.keys.length === 0) return [];
    this.held(thread.id, out.keys, out.nbytes);
    return [{ type: 'put', keys: out.keys, values: out.values, marked: true }];
  }

  /**
   * Spilled values of `thread` among `keys` (others are skipped), read from the store; when
   * `keep` is false, their spilled copies are deleted.
   */
  async read(
    thread: string,
    keys: readonly string[],
    keep: boolean,
  ): Promise<{ keys: string[]; values: unknown[]; nbytes: number[] }> {
    const spilled: Held[] = [];
    for (const k of keys) {
      const h = this.ledger.get(thread, k);
      if (h !== undefined && h.state !== 'memory') spilled.push(h);
    }
    const out = { keys: [] as string[], values: [] as unknown[], nbytes: [] as number[] };
    if (spilled.length === 0) return out;
    await settled(spilled);
    const store = await this.open();
    const values = await store.get(spilled.map(storeKey));
    spilled.forEach((h, i) => {
      const value = values[i];
      if (value === undefined || this.ledger.get(h.thread, h.key) !== h) return;
      this.ledger.touch(h);
      this.counters.read += h.nbytes;
      out.keys.push(h.key);
      out.values.push(value);
      out.nbytes.push(h.nbytes);
    });
    if (!keep) this.forget(thread, out.keys);
    return out;
  }

  /** True when `thread` holds `key` outside its memory (spilled or being spilled). */
  isSpilled(thread: string, key: string): boolean {
    const h = this.ledger.get(thread, key);
    return h !== undefined && h.state !== 'memory';
  }

  /** Deletes the store. */
  async destroy(): Promise<void> {
    if (this.store !== undefined) await (await this.store).destroy();
  }

  private open(): Promise<SpillStore> {
    this.store ??= this.openStore();
    return this.store;
  }
}

/** A stored copy's key: a value spilled, read back and spilled again is a new copy (a late delete of the old one must not take it). */
function storeKey(h: Held): string {
  return `${h.thread}\u0000${h.key}\u0000${h.slot ?? 0}`;
}

/** Settles when the spills in progress of these values are written (or failed). */
function settled(list: readonly Held[]): Promise<unknown> {
  return Promise.all(list.map((h) => h.written ?? Promise.resolve()));
}
