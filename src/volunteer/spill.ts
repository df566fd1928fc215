/**
 * Spill: a volunteer past its memory budget moves held results from its threads to IndexedDB
 * (idb-keyval, one database per volunteer tab) and reads them back when a task, a peer or the
 * scheduler needs them. Values are stored as the threads encode them for the wire (plain data,
 * typed arrays, markers for registered types), which IndexedDB's structured clone keeps as is.
 *
 * Policy: after every change that adds bytes, the least recently used unpinned results go
 * (see Ledger.victims). Taking a value out of a thread is a `gather` with move, queued behind
 * everything sent to that thread before, so a task already queued there still finds it.
 *
 * Databases of tabs that are gone (closed, crashed) are deleted when the next volunteer of the
 * origin starts: each live tab holds a Web Lock named after its database.
 */
import { createStore, delMany, getMany, setMany, type UseStore } from 'idb-keyval';
import type { ToWorker } from '../wire/pool-protocol.js';
import type { Ledger, Held } from './ledger.js';
import type { ThreadPort } from '../local/thread-port.js';

const PREFIX = 'bask-spill-';

/** The IndexedDB database of one volunteer tab. */
export class SpillStore {
  private constructor(
    readonly name: string,
    private readonly store: UseStore,
  ) {}

  /** Opens this tab's database (after deleting those of tabs that are gone). */
  static async open(session: string): Promise<SpillStore> {
    const name = `${PREFIX}${session}`;
    const locks = (globalThis.navigator as Navigator | undefined)?.locks;
    if (locks !== undefined) {
      // Held until this worker ends: the lock says "this database is in use".
      let acquired: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (acquired = resolve));
      void locks.request(name, () => {
        acquired();
        return new Promise<void>(() => undefined);
      });
      await held;
      await deleteAbandoned(locks);
    }
    return new SpillStore(name, createStore(name, 'values'));
  }

  put(entries: [string, unknown][]): Promise<void> {
    return setMany(entries, this.store);
  }

  get(keys: string[]): Promise<unknown[]> {
    return getMany(keys, this.store);
  }

  del(keys: string[]): Promise<void> {
    return delMany(keys, this.store);
  }

  /** Deletes the database (the volunteer left). */
  destroy(): Promise<void> {
    return new Promise((resolve) => {
      const request = indexedDB.deleteDatabase(this.name);
      request.onsuccess = request.onerror = request.onblocked = () => resolve();
    });
  }
}

async function deleteAbandoned(locks: LockManager): Promise<void> {
  try {
    const [snapshot, databases] = await Promise.all([locks.query(), indexedDB.databases()]);
    const inUse = new Set(
      [...(snapshot.held ?? []), ...(snapshot.pending ?? [])].map((l) => l.name),
    );
    for (const db of databases) {
      if (db.name?.startsWith(PREFIX) === true && !inUse.has(db.name))
        indexedDB.deleteDatabase(db.name);
    }
  } catch {
    // Cleaning up after others is best effort.
  }
}

/** Moves values between a volunteer's threads and its IndexedDB database. */
export class Spiller {
  private store: Promise<SpillStore> | undefined;
  /** IndexedDB refused a write: stop trying (values stay in memory). */
  private failed = false;

  constructor(
    private readonly ledger: Ledger,
    private readonly limit: number,
    private readonly session: string,
    private readonly thread: (id: string) => ThreadPort | undefined,
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
    const victims = this.ledger.victims(this.limit);
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
      const written = this.spill(thread, list);
      for (const h of list) {
        this.ledger.setState(h, 'spilling');
        h.written = written;
      }
    }
  }

  private async spill(thread: ThreadPort, list: Held[]): Promise<void> {
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
      for (const t of taken) this.ledger.setState(t.held, 'spilled');
    } catch {
      // IndexedDB refused (quota, private mode): the values go back into the thread.
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
  async restore(thread: ThreadPort, keys: Iterable<string>): Promise<ToWorker[]> {
    const out = await this.read(thread.id, [...keys], false);
    if (out.keys.length === 0) return [];
    this.held(thread.id, out.keys, out.nbytes);
    return [{ type: 'put', keys: out.keys, values: out.values, marked: true }];
  }

  /**
   * Spilled values of `thread` among `keys` (others are skipped): read from IndexedDB; with
   * `move`, or when `keep` is false, their spilled copies are deleted.
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

  /** Deletes this volunteer's database. */
  async destroy(): Promise<void> {
    if (this.store !== undefined) await (await this.store).destroy();
  }

  private open(): Promise<SpillStore> {
    this.store ??= SpillStore.open(this.session);
    return this.store;
  }
}

function storeKey(h: Held): string {
  return `${h.thread}\u0000${h.key}`;
}

/** Settles when the spills in progress of these values are written (or failed). */
function settled(list: readonly Held[]): Promise<unknown> {
  return Promise.all(list.map((h) => h.written ?? Promise.resolve()));
}
