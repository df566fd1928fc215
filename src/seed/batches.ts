/**
 * How `runSpreads` cuts its sources into batches, one computation each (see run.ts), and how
 * many it keeps in flight: fixed sizes that start small, or the groups its Files are read
 * ahead in, or groups of paths.
 */
import type { Scheduler } from '../scheduler.js';
import type { GroupPlan } from '../wire/blob-bytes.js';

/** With the default batch size, the first batch holds at most this many files. */
export const FIRST_BATCH = 4;

/** The positions of the files of batch `b` (see batchStarts). */
export function batchIndices(starts: readonly number[], b: number): number[] {
  const indices: number[] = [];
  for (let i = starts[b] as number; i < (starts[b + 1] as number); i++) indices.push(i);
  return indices;
}

/**
 * Where each batch of `count` files starts, and `count` at the end. The first batches may be
 * smaller (`first`, then doubling up to `size`: 4, 8, 16, 32...): the first results come
 * back once a few files are read, sent and computed, not a whole batch of them.
 */
export function batchStarts(count: number, size: number, first: number): number[] {
  const starts = [0];
  let next = Math.min(size, first);
  for (let at = 0; at < count;) {
    at = Math.min(count, at + next);
    starts.push(at);
    next = Math.min(size, next * 2);
  }
  return starts;
}

/** Batch starts when Files go in groups: each group of `plan` one batch, every other source alone. */
export function groupStarts(count: number, plan: readonly GroupPlan[]): number[] {
  const starts = [0];
  let at = 0;
  for (const p of plan) {
    while (at < p.first) starts.push(++at);
    at = p.first + p.starts.length - 1;
    starts.push(at);
  }
  while (at < count) starts.push(++at);
  return starts;
}

/**
 * Paths or URLs per group task at most (group.ts; the first groups are smaller: see
 * batchStarts). Big enough that a task's messages and bookkeeping are a small part of it,
 * small enough that two workers finish together.
 */
export const PATH_GROUP = 32;

/**
 * Files in flight by default: a local pool answers within a task's time, so 32 keep its
 * workers busy; a cluster's round trip (client, scheduler, worker and back) is longer, so it
 * needs a deeper window to cover it (on 2 cores, 2,000 files: 14.5 s at 32, 7.8-9.1 s at 256;
 * 512 with batches of 32 used ~20% less CPU than 256 with batches of 16).
 */
export function defaultConcurrency(scheduler: Scheduler): number {
  return scheduler.schedulerName === 'distributed' ? 512 : 32;
}

/**
 * Groups of Files in flight on a cluster that takes them as composed Blobs (run.ts). Composing
 * a Blob costs the page ~50-90 µs per File in Chromium, so a window of every group at once (as
 * 512 files in batches of 32 made it: sixteen groups, 2,000 files) spent ~180 ms composing
 * before the first upload began; the uploads go two at a time anyway (client/uploads.ts).
 */
export const BLOB_GROUPS = 4;

/**
 * Files per computation by default: each computation costs a round of messages and
 * bookkeeping, which a cluster feels most; a batch that fails is computed again file by file,
 * so a bad file costs its batch twice and fails alone. (On a pool, 4 to 16 made no
 * measurable difference.)
 */
export function defaultBatchSize(scheduler: Scheduler): number {
  const name = scheduler.schedulerName;
  return name === 'distributed' ? 32 : name === 'sync' ? SYNC_BATCH : 4;
}

/**
 * Files per computation on the sync scheduler. One computation per file cost a fresh process
 * more than it saved: the graph and the engine ran 2,000 times and warmed up the optimizer on
 * their code too (cold `runSpreads` of 2,000 files: 557-812 ms one by one, 463-498 in batches
 * of 16; warm: 309-313 and 288-304). A batch of 16 files takes a few milliseconds.
 */
const SYNC_BATCH = 16;
