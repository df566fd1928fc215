/** The per-worker index of held data: exact size, every live task once, whatever the churn. */
import { describe, expect, it } from 'vitest';
import { HeldIndex } from '../../src/engine/held.js';

interface W {
  id: string;
}
interface T {
  key: string;
  holders: W[] | null;
}

function setup(): { w: W; index: HeldIndex<T, W>; hold: (t: T) => void; drop: (t: T) => void } {
  const w: W = { id: 'w' };
  const index = new HeldIndex<T, W>(w);
  return {
    w,
    index,
    hold: (t) => {
      (t.holders ??= []).push(w);
      index.add(t);
    },
    drop: (t) => {
      t.holders = (t.holders ?? []).filter((h) => h !== w);
      index.delete();
    },
  };
}

describe('HeldIndex', () => {
  it('lists each held task once, in order, after drops and re-adds', () => {
    const { index, hold, drop } = setup();
    const tasks: T[] = Array.from({ length: 5 }, (_, i) => ({ key: `t${i}`, holders: null }));
    for (const t of tasks) hold(t);
    drop(tasks[1] as T);
    drop(tasks[3] as T);
    hold(tasks[1] as T);
    expect(index.size).toBe(4);
    expect(index.values().map((t) => t.key)).toEqual(['t0', 't1', 't2', 't4']);
  });

  it('stays bounded under churn: a long run of hold/drop keeps few entries', () => {
    const { index, hold, drop } = setup();
    const keep: T = { key: 'keep', holders: null };
    hold(keep);
    for (let i = 0; i < 10_000; i++) {
      const t: T = { key: `x${i}`, holders: null };
      hold(t);
      drop(t);
    }
    expect(index.size).toBe(1);
    // The internal list is compacted on drops: read it without compacting through a cast.
    const raw = (index as unknown as { list: T[] }).list;
    expect(raw.length).toBeLessThanOrEqual(65);
    expect(index.values()).toEqual([keep]);
  });

  it('ignores tasks whose holders were cleared (null) or moved to another worker', () => {
    const { index, hold } = setup();
    const a: T = { key: 'a', holders: null };
    const b: T = { key: 'b', holders: null };
    hold(a);
    hold(b);
    a.holders = null;
    index.delete();
    b.holders = [{ id: 'other' }];
    index.delete();
    expect(index.size).toBe(0);
    expect(index.values()).toEqual([]);
  });
});
