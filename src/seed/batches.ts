/**
 * How `runSpreads` cuts its sources into batches, one computation each (see run.ts): fixed
 * sizes that start small, or the groups its Files are read ahead in.
 */
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
