/**
 * A worker's lazy indexes of tasks: the tasks whose data it holds (distributed's
 * `WorkerState.has_what`) and the tasks it runs (`WorkerState.processing`), what moves or is
 * lost when it leaves. They are kept cheap on the hot path, where every task adds an entry to
 * each and removes it again: adding is a push and removing only a count. The list may keep
 * stale entries (tasks no longer there) and repeats (tasks there again), and is compacted
 * against the truth (a predicate over the task's own fields: its `holders`, its
 * `processingOn`) when stale entries outnumber live ones three to one, and whenever it is read
 * (repeats go then too). A `Set` here cost the sync scheduler 20-25% at 100k tasks (held) and
 * a fresh hash table every few tasks (processing: a Set with churn rehashes).
 *
 * Invariant: `size` is exact, as long as every change of the truth that adds or removes the
 * owner calls `add` or `delete` once (state.ts does).
 */

/** What the held-data index needs of a task: the workers holding its data. */
interface Held<W> {
  readonly holders: readonly W[] | null;
}

/** What every index needs of a task: its key (see `near`). */
interface Keyed {
  readonly key: string;
}

/** How many entries past the last one found `near` looks at. */
const NEAR = 8;

/** Tasks that one worker (`owner`) has, by a truth the tasks themselves carry. */
export class LazyIndex<T extends Keyed, W> {
  private list: T[] = [];
  private live = 0;
  /** Just past the entry `near` found last (0 after a compaction). */
  private cursor = 0;

  constructor(
    private readonly owner: W,
    /** Whether `owner` has `t` now (the truth the list is compacted against). */
    private readonly truth: (t: T, owner: W) => boolean,
  ) {}

  /** How many tasks the owner has. */
  get size(): number {
    return this.live;
  }

  /** The owner now has `t` (call when the truth became true for it). */
  add(t: T): void {
    this.list.push(t);
    this.live++;
  }

  /** The owner no longer has one task (call when the truth became false for it). */
  delete(): void {
    if (--this.live === 0) {
      this.list.length = 0;
      this.cursor = 0;
    } else if (this.list.length > 64 && this.list.length > 4 * this.live) this.compact();
  }

  /** The tasks the owner has, each once, in the order first added since the last compaction. */
  values(): readonly T[] {
    this.compact();
    return this.list;
  }

  /** Whether `t` is in the index (compacted first when it holds stale entries or repeats). */
  has(t: T): boolean {
    // Every task the owner has is listed: a list as long as the count is exactly those.
    if (this.list.length !== this.live) this.compact();
    return this.list.includes(t);
  }

  /**
   * The task of key `key` that the owner has, when it is listed within a few entries after the
   * one found last; else undefined (look it up by key). Tasks end in about the order they
   * were added (a worker runs its tasks in the order sent), so a result finds its task by a
   * look at the list, not a hash per task.
   */
  near(key: string): T | undefined {
    const { list, owner, truth } = this;
    // Entries the owner no longer has are skipped for good (one it has again is listed again).
    let from = this.cursor;
    while (from < list.length && !truth(list[from] as T, owner)) from++;
    this.cursor = from;
    const end = Math.min(list.length, from + NEAR);
    for (let i = from; i < end; i++) {
      const t = list[i] as T;
      if (t.key === key && truth(t, owner)) {
        this.cursor = i + 1;
        return t;
      }
    }
    return undefined;
  }

  [Symbol.iterator](): Iterator<T> {
    return this.values()[Symbol.iterator]();
  }

  private compact(): void {
    this.cursor = 0;
    if (this.live === 0) {
      this.list.length = 0;
      return;
    }
    const { owner, truth } = this;
    let out = this.list.filter((t) => truth(t, owner));
    // Repeats (a task dropped and added again) survive the filter: rare, so removed only then.
    if (out.length > this.live) out = [...new Set(out)];
    this.list = out;
  }
}

/** The tasks whose data one worker (`owner`) holds: those with the owner in `holders`. */
export class HeldIndex<T extends Held<W> & Keyed, W> extends LazyIndex<T, W> {
  constructor(owner: W) {
    super(owner, holds);
  }
}

function holds<W>(t: Held<W>, owner: W): boolean {
  return t.holders !== null && t.holders.includes(owner);
}
