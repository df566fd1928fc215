/**
 * The engine's running totals over its workers, so that placement does not scan every worker
 * (issue 17: 10,000 volunteers made each placement pass linear in the worker count):
 *
 *   threads, processing   sums of `nthreads` and `nprocessing` over the engine's workers: the
 *                         fair share (policy.ts `fairShare`) in O(1)
 *   open                  workers that could take a root task now: not paused, not isolating,
 *                         and a free thread or queued work under the target (`hasRoom`'s
 *                         necessary part, whatever the share); no other worker can
 *   idle                  the idle, unpaused workers by join order (a min-heap, stale entries
 *                         skipped on peek): their objective is 0, the least there is, so the
 *                         first of them is what a full scan would pick for an unrestricted
 *                         root task
 *
 * Policy: a worker's books change only in `assignTask` / `unassignTask` (state.ts), a pause
 * (base.ts), a join or a leave (faults.ts); each calls {@link Capacity.update} or
 * join / leave. A worker that left gets a detached Capacity of its own, so the runs still
 * taken off its books after it left count nowhere. Invariant (validate.ts checks it against a
 * recount): the totals and both sets match the engine's workers exactly.
 */
import { Heap } from './heap.js';
import type { WorkerRecord } from './types.js';

/** Running totals and the workers with room; one per engine. */
export class Capacity {
  /** Sum of the threads of the workers it counts. */
  threads = 0;
  /** Sum of the runs on the workers it counts. */
  processing = 0;
  /** Workers that could take a root task now (see the header). */
  readonly open = new Set<WorkerRecord>();
  private readonly idle = new Heap<WorkerRecord>((a, b) => a.joined < b.joined);
  private joins = 0;

  /** `targetQueueSeconds`: queued work per thread under which a busy worker may queue more. */
  constructor(private readonly targetQueueSeconds: number) {}

  /** `w` joins: counted from now on, in join order. */
  join(w: WorkerRecord): void {
    w.capacity = this;
    w.joined = this.joins++;
    this.threads += w.nthreads;
    this.processing += w.nprocessing;
    this.update(w);
  }

  /** `w` leaves: no longer counted, and its later changes count nowhere. */
  leave(w: WorkerRecord): void {
    this.threads -= w.nthreads;
    this.processing -= w.nprocessing;
    this.open.delete(w);
    w.capacity = new Capacity(this.targetQueueSeconds);
  }

  /** After `w`'s runs, occupancy, isolation or pause changed: its place in `open` and `idle`. */
  update(w: WorkerRecord): void {
    if (isOpen(w, this.targetQueueSeconds)) this.open.add(w);
    else this.open.delete(w);
    if (w.nprocessing === 0 && !w.paused && !w.inIdle) {
      w.inIdle = true;
      this.idle.push(w);
    }
  }

  /** The idle, unpaused worker that joined first, or undefined when none is. */
  firstIdle(): WorkerRecord | undefined {
    const idle = this.idle;
    for (;;) {
      const w = idle.peek();
      if (w === undefined) return undefined;
      if (w.nprocessing === 0 && !w.paused && w.capacity === this) return w;
      idle.pop();
      w.inIdle = false;
    }
  }

  /** Whether `w` is idle, unpaused and in the idle heap (for validateState). */
  hasIdle(w: WorkerRecord): boolean {
    return w.inIdle;
  }

  /** Whether `w` belongs in `open` by its books (for validateState). */
  isOpen(w: WorkerRecord): boolean {
    return isOpen(w, this.targetQueueSeconds);
  }
}

/** The same bound as policy.ts `hasRoom`, written the same way (the same float rounding). */
function isOpen(w: WorkerRecord, targetQueueSeconds: number): boolean {
  return (
    !w.paused &&
    w.isolating === null &&
    (w.nprocessing < w.nthreads || w.occupancy < w.nthreads * targetQueueSeconds * 1e6)
  );
}
