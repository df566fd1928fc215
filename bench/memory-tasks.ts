/** Task functions of the memory benchmark and test: results that are all payload. */
import { defineTasks } from '../src/graph/fnref.js';

/**
 * `mib` MiB of float64 `i`s, made after a turn of the event loop (as a task that reads its data
 * would): a thread runs synchronous tasks of one batch back to back, and only between them does
 * it answer the gathers that spill its results.
 */
async function bigArray(i: number, mib: number): Promise<Float64Array> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  return new Float64Array((mib * 2 ** 20) / 8).fill(i);
}

/** `mib` MiB of float64 `i`s, made at once (a batch of these runs back to back in a thread). */
function bigArraySync(i: number, mib: number): Float64Array {
  return new Float64Array((mib * 2 ** 20) / 8).fill(i);
}

/** The sum of an array. */
function sumArray(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] as number;
  return s;
}

export const tasks = defineTasks(import.meta.url, { bigArray, bigArraySync, sumArray });
