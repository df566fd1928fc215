/**
 * The spill store of `bask worker` processes: values come back as they went (typed arrays as
 * their bytes, anything else structured-cloned), deletes take only the copy they name, and the
 * directory goes with the store.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { FileSpillStore, removeSpillDirs } from '../../server/worker/spill-files.js';
import { Ledger } from '../../src/worker/ledger.js';
import { Spiller, type SpillThread } from '../../src/worker/spiller.js';
import type { ToWorker } from '../../src/wire/pool-protocol.js';

describe('file spill store', () => {
  it('reads back typed arrays, offset views and plain data', async () => {
    const store = FileSpillStore.create();
    try {
      const big = new Float64Array(1000).fill(2.5);
      const offset = new Uint16Array(new ArrayBuffer(64), 6, 5).fill(7);
      const plain = { a: [1, 'two', { three: new Int32Array([3]) }], b: null };
      await store.put([
        ['big', big],
        ['offset', offset],
        ['plain', plain],
      ]);
      const [b, o, p, none] = await store.get(['big', 'offset', 'plain', 'none']);
      expect(b).toEqual(big);
      expect(b).toBeInstanceOf(Float64Array);
      expect(o).toEqual(offset);
      expect(p).toEqual(plain);
      expect(none).toBeUndefined();
      await store.del(['big']);
      expect(await store.get(['big', 'plain'])).toEqual([undefined, plain]);
    } finally {
      await store.destroy();
    }
    expect(existsSync(store.dir)).toBe(false);
  });

  it('removes the directories a killed process left', () => {
    const left = mkdtempSync(join(tmpdir(), 'bask-spill-999999999-'));
    removeSpillDirs(999999999);
    expect(existsSync(left)).toBe(false);
  });
});

/** A thread that holds values in a Map, as a worker thread's store does. */
class FakeThread implements SpillThread {
  readonly values = new Map<string, unknown>();
  constructor(readonly id: string) {}
  gather(keys: string[], move: boolean) {
    const values = keys.map((k) => this.values.get(k));
    const missing = keys.filter((k) => !this.values.has(k));
    if (move) for (const k of keys) this.values.delete(k);
    return Promise.resolve({ values, missing });
  }
  post(message: ToWorker): void {
    if (message.type === 'put')
      message.keys.forEach((k, i) => this.values.set(k, message.values[i]));
  }
}

describe('spiller over files', () => {
  it('spills the least recently used unpinned values past the budget and reads them back', async () => {
    const ledger = new Ledger();
    const thread = new FakeThread('w/0');
    let budget = 250;
    const store = FileSpillStore.create();
    const spiller = new Spiller(
      ledger,
      () => budget,
      () => Promise.resolve(store),
      () => thread,
    );
    try {
      for (const k of ['a', 'b', 'c'])
        thread.values.set(k, new Uint8Array(100).fill(k.charCodeAt(0)));
      ledger.pin(['a']);
      spiller.held('w/0', ['a', 'b', 'c'], [100, 100, 100]);
      // 300 bytes over a 250 budget; 'a' is pinned: 'b' (the oldest unpinned) goes.
      expect(spiller.isSpilled('w/0', 'b')).toBe(true);
      expect(spiller.isSpilled('w/0', 'a')).toBe(false);
      const back = await spiller.read('w/0', ['b'], false);
      expect(back.keys).toEqual(['b']);
      expect(back.values[0]).toEqual(new Uint8Array(100).fill(98));
      expect(ledger.get('w/0', 'b')).toBeUndefined();
      // A smaller budget (a sample past spill) takes the rest of what is unpinned.
      budget = 0;
      spiller.check();
      expect(spiller.isSpilled('w/0', 'c')).toBe(true);
      expect(spiller.isSpilled('w/0', 'a')).toBe(false);
      const c = await spiller.read('w/0', ['c'], true);
      expect(c.values[0]).toEqual(new Uint8Array(100).fill(99));
      expect(spiller.counters.written).toBe(200);
      expect(ledger.spilled).toBe(100);
    } finally {
      await spiller.destroy();
    }
  });
});
