/**
 * A worker's index of the tasks whose data it holds: what is lost when it leaves (distributed's
 * `WorkerState.has_what`), kept cheap on the hot path, where every finished task adds one entry
 * and every freed one removes it. Adding is a push and removing only a count: the list may
 * keep stale entries (tasks no longer held) and repeats (tasks held again), and is compacted
 * against the truth, each task's `holders`, when stale entries outnumber live ones three to one,
 * and whenever it is read (repeats go then too). A `Set` here cost the sync scheduler 20-25%
 * at 100k tasks.
 *
 * Invariant: `size` is exact, as long as every change of a task's `holders` that adds or
 * removes the owner calls `add` or `delete` once (state.ts does).
 */

/** What the index needs of a task: the workers holding its data. */
interface Held<W> {
  readonly holders: readonly W[] | null;
}

/** The tasks whose data one worker (`owner`) holds. */
export class HeldIndex<T extends Held<W>, W> {
  private list: T[] = [];
  private live = 0;

  constructor(private readonly owner: W) {}

  /** How many tasks' data the owner holds. */
  get size(): number {
    return this.live;
  }

  /** The owner now holds `t`'s data (call after adding it to `t.holders`). */
  add(t: T): void {
    this.list.push(t);
    this.live++;
  }

  /** The owner no longer holds one task's data (call when it left that task's `holders`). */
  delete(): void {
    this.live--;
    if (this.list.length > 64 && this.list.length > 4 * this.live) this.compact();
  }

  /** The tasks held, each once, in the order they were first added since the last compaction. */
  values(): readonly T[] {
    this.compact();
    return this.list;
  }

  private compact(): void {
    if (this.live === 0) {
      this.list.length = 0;
      return;
    }
    const owner = this.owner;
    let out = this.list.filter((t) => t.holders !== null && t.holders.includes(owner));
    // Repeats (a task dropped and held again) survive the filter: rare, so removed only then.
    if (out.length > this.live) out = [...new Set(out)];
    this.list = out;
  }
}
