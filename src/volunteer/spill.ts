/**
 * The spill store of a volunteer tab: IndexedDB (idb-keyval, one database per tab). Values are
 * stored as the threads encode them for the wire (plain data, typed arrays, markers for
 * registered types), which IndexedDB's structured clone keeps as is. What to spill and when is
 * the workers' shared policy (src/worker/spiller.ts, memory-thresholds.ts).
 *
 * Databases of tabs that are gone (closed, crashed) are deleted when the next volunteer of the
 * origin starts: each live tab holds a Web Lock named after its database.
 */
import { createStore, delMany, getMany, setMany, type UseStore } from 'idb-keyval';
import type { SpillStore } from '../worker/spiller.js';

const PREFIX = 'bask-spill-';

/** The IndexedDB database of one volunteer tab. */
export class IndexedDbStore implements SpillStore {
  private constructor(
    readonly name: string,
    private readonly store: UseStore,
  ) {}

  /** Opens this tab's database (after deleting those of tabs that are gone). */
  static async open(session: string): Promise<IndexedDbStore> {
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
    return new IndexedDbStore(name, createStore(name, 'values'));
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
