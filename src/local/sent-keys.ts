/**
 * The keys sent to a pool worker and not answered yet, in the order it runs them. Answers come
 * in that order, so taking one is a look at the head: no hash per task. Only a key taken out
 * of order (a cancel) makes an index of positions, kept until the queue next empties.
 *
 * Invariants: `count` is the number of non-null entries from `head` on; `head` is 0 or points
 * at a live entry; `at`, when made, maps every live key to its position.
 */
const COMPACT_AT = 4096;

/** A queue of in-flight keys with removal by key. */
export class SentKeys {
  private keys: (string | null)[] = [];
  private head = 0;
  private count = 0;
  /** key -> position, made on the first removal out of order. */
  private at: Map<string, number> | undefined;

  /** How many keys are in flight. */
  get size(): number {
    return this.count;
  }

  /** Adds a key at the end (it runs after those already in flight). */
  add(key: string): void {
    this.at?.set(key, this.keys.length);
    this.keys.push(key);
    this.count++;
  }

  /** Takes `key` out; false when it is not in flight. */
  delete(key: string): boolean {
    if (this.count === 0) return false;
    let i = this.head;
    if (this.keys[i] !== key) {
      const found = (this.at ??= this.index()).get(key);
      if (found === undefined) return false;
      i = found;
    }
    this.keys[i] = null;
    this.at?.delete(key);
    if (--this.count === 0) this.clear();
    else if (i === this.head) this.advance();
    return true;
  }

  /** Whether `key` is in flight. */
  has(key: string): boolean {
    if (this.count === 0) return false;
    if (this.keys[this.head] === key) return true;
    return (this.at ??= this.index()).has(key);
  }

  /** The oldest key in flight (the one running, or next to run). */
  first(): string | undefined {
    return this.count === 0 ? undefined : (this.keys[this.head] as string);
  }

  private advance(): void {
    const keys = this.keys;
    let head = this.head + 1;
    while (keys[head] === null) head++;
    this.head = head;
    if (head >= COMPACT_AT && head * 2 >= keys.length) {
      // Long streams that never empty: drop the answered prefix now and then.
      this.keys = keys.slice(head);
      this.head = 0;
      if (this.at !== undefined) this.at = this.index();
    }
  }

  private index(): Map<string, number> {
    const at = new Map<string, number>();
    const keys = this.keys;
    for (let i = this.head; i < keys.length; i++) {
      const key = keys[i];
      if (key !== null && key !== undefined) at.set(key, i);
    }
    return at;
  }

  private clear(): void {
    this.keys = [];
    this.head = 0;
    this.at = undefined;
  }
}
