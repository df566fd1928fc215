/**
 * Deadlines of runs with a `timeout`: the scheduler's clock, not the worker's (a volunteer
 * that hangs or lies cannot hold a task back). The engine sends a task with a timeout only to
 * a thread with nothing else to do, so its clock starts when it is sent; it stops when its
 * result comes back, the run is cancelled, or the thread goes.
 *
 * One timer, armed for the earliest deadline and unref'd (it never keeps the process alive);
 * none when no timed run is out. Checking scans the timed runs out, at most one per thread.
 */

/** A run past its deadline. */
export interface Expired {
  worker: string;
  key: string;
  /** Its timeout (ms). */
  timeout: number;
}

/** Timed runs by thread, and the timer for the earliest. */
export class Deadlines {
  private readonly runs = new Map<string, Map<string, { at: number; timeout: number }>>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private armedFor = Infinity;

  constructor(
    private readonly onExpired: (expired: Expired[]) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Threads with a timed run out. */
  get size(): number {
    return this.runs.size;
  }

  /** Starts the clock of a run sent now. */
  add(worker: string, key: string, timeout: number): void {
    let mine = this.runs.get(worker);
    if (mine === undefined)
      this.runs.set(worker, (mine = new Map<string, { at: number; timeout: number }>()));
    const at = this.now() + timeout;
    mine.set(key, { at, timeout });
    this.arm(at);
  }

  /** The run finished or was cancelled. */
  clear(worker: string, key: string): void {
    const mine = this.runs.get(worker);
    if (mine === undefined || !mine.delete(key)) return;
    if (mine.size === 0) this.runs.delete(worker);
    if (this.runs.size === 0) this.disarm();
  }

  /** The thread went: its runs have no deadline any more. */
  clearWorker(worker: string): void {
    if (this.runs.delete(worker) && this.runs.size === 0) this.disarm();
  }

  /** Stops the timer (the scheduler is closing). */
  close(): void {
    this.runs.clear();
    this.disarm();
  }

  private arm(at: number): void {
    if (at >= this.armedFor) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.armedFor = at;
    this.timer = setTimeout(() => this.fire(), Math.max(0, at - this.now()));
    (this.timer as { unref?: () => void }).unref?.();
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  private fire(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = this.now();
    const expired: Expired[] = [];
    let next = Infinity;
    for (const [worker, mine] of this.runs) {
      for (const [key, run] of mine) {
        if (run.at <= now) {
          expired.push({ worker, key, timeout: run.timeout });
          mine.delete(key);
        } else if (run.at < next) {
          next = run.at;
        }
      }
      if (mine.size === 0) this.runs.delete(worker);
    }
    if (next < Infinity) this.arm(next);
    if (expired.length > 0) this.onExpired(expired);
  }
}
