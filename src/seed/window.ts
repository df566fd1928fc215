/**
 * `runWindowed`: many asynchronous jobs with a bounded number in flight, started in index
 * order, without holding the caller's thread. `runSpreads` runs one computation per file
 * through it, so a pool's or a cluster's per-computation bookkeeping and the memory held stay
 * bounded whatever the file count, while workers start on the first files at once.
 *
 * Policy: starting a job costs the caller's thread a little (building a graph; on a cluster,
 * reading files); filling a window of hundreds in one go would be one long task. Starts made
 * in one turn of the event loop share a slice of START_SLICE_MS; past it, every lane waits
 * for one shared yield (`scheduler.yield()` where there is one: it is not clamped like nested
 * timers, and resumes ahead of other work; else a zero timer) before starting more.
 */
import { now } from '../hooks.js';

/** How long starts may hold the thread in one turn of the event loop. */
const START_SLICE_MS = 20;

/**
 * Runs `job(0..count-1)` with at most `limit` in flight, in index order; resolves when all
 * have settled. The first rejection stops starting new jobs and is rethrown once those in
 * flight have settled.
 */
export async function runWindowed(
  count: number,
  limit: number,
  job: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let thrown: { reason: unknown } | undefined;
  const pacer = new StartPacer();
  const lane = async (): Promise<void> => {
    while (next < count && thrown === undefined) {
      await pacer.beforeStart();
      if (next >= count || thrown !== undefined) break;
      const i = next++;
      try {
        await job(i);
      } catch (reason) {
        thrown ??= { reason };
      }
    }
  };
  const lanes = Math.max(1, Math.min(count, Math.floor(limit)));
  await Promise.all(Array.from({ length: lanes }, lane));
  if (thrown !== undefined) throw thrown.reason;
}

/** Keeps the starts of one turn of the event loop within a time slice (see the header). */
class StartPacer {
  private sliceStart = 0;
  private inTurn = false;
  private pending: Promise<void> | undefined;

  /** Resolves at once while the turn's slice lasts; else after one shared yield. */
  beforeStart(): Promise<void> | undefined {
    if (this.pending !== undefined) return this.pending;
    if (!this.inTurn) {
      // The first start of a turn: a zero timer fires once this turn is over.
      this.inTurn = true;
      this.sliceStart = now();
      setTimeout(() => (this.inTurn = false), 0);
      return undefined;
    }
    if (now() - this.sliceStart <= START_SLICE_MS) return undefined;
    this.pending = yieldToEventLoop().then(() => {
      this.pending = undefined;
      this.sliceStart = now();
    });
    return this.pending;
  }
}

/** A turn of the event loop: the page paints and handles input in between. */
export function yieldToEventLoop(): Promise<void> {
  const tasks = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  if (typeof tasks?.yield === 'function') return tasks.yield();
  return new Promise((resolve) => setTimeout(resolve, 0));
}
