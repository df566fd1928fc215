/**
 * The ready queue: tasks waiting for a worker, best first.
 *
 * Policy: a heap, plus a sorted run for the common case where tasks arrive already in order
 * (a fresh batch's root tasks come in priority order). Appending to the run and taking from
 * its head are O(1), so a graph with 100k roots does not pay for a 100k-entry heap. `pop`
 * takes the better of the two heads.
 *
 * Entries are skipped, not removed, when they go stale (the caller checks the state).
 */
import { Heap } from './heap.js';

/** A priority queue specialised for mostly-sorted arrivals. */
export class ReadyQueue<T> {
  private run: T[] = [];
  private head = 0;
  private readonly heap: Heap<T>;

  constructor(private readonly less: (a: T, b: T) => boolean) {
    this.heap = new Heap(less);
  }

  /** Entries held, stale ones included. */
  get size(): number {
    return this.run.length - this.head + this.heap.size;
  }

  push(item: T): void {
    const run = this.run;
    if (run.length === this.head) {
      if (run.length > 0) this.reset();
      this.run.push(item);
    } else if (!this.less(item, run[run.length - 1] as T)) {
      run.push(item);
    } else {
      this.heap.push(item);
    }
  }

  peek(): T | undefined {
    const a = this.run[this.head];
    const b = this.heap.peek();
    if (a === undefined) return b;
    if (b === undefined) return a;
    return this.less(b, a) ? b : a;
  }

  pop(): T | undefined {
    const a = this.run[this.head];
    const b = this.heap.peek();
    if (a !== undefined && (b === undefined || !this.less(b, a))) {
      this.run[this.head++] = undefined as T;
      if (this.head > 1024 && this.head * 2 > this.run.length) this.compact();
      return a;
    }
    return this.heap.pop();
  }

  /** All entries, in no particular order. */
  values(): T[] {
    return [...this.run.slice(this.head), ...this.heap.values()];
  }

  private reset(): void {
    this.run = [];
    this.head = 0;
  }

  private compact(): void {
    this.run = this.run.slice(this.head);
    this.head = 0;
  }
}
