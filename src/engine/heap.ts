/**
 * A binary min-heap with a caller-given order: the engine's queue of ready tasks. Entries that
 * became stale (a queued task was cancelled) are skipped by the caller on pop, not removed.
 */
export class Heap<T> {
  private readonly items: T[] = [];

  constructor(private readonly less: (a: T, b: T) => boolean) {}

  /** Number of entries, stale ones included. */
  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    const items = this.items;
    let i = items.length;
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] as T;
      if (!this.less(item, p)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = item;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) this.siftDown(last);
    return top;
  }

  /** All entries, in no particular order. */
  values(): readonly T[] {
    return this.items;
  }

  private siftDown(item: T): void {
    const items = this.items;
    const n = items.length;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && this.less(items[right] as T, items[child] as T)) child = right;
      const c = items[child] as T;
      if (!this.less(c, item)) break;
      items[i] = c;
      i = child;
    }
    items[i] = item;
  }
}
