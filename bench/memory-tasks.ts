/** Task functions of the memory benchmark and test: results that are all payload. */
import { defineTasks } from '../src/graph/fnref.js';

/** `mib` MiB of float64 `i`s. */
function bigArray(i: number, mib: number): Float64Array {
  return new Float64Array((mib * 2 ** 20) / 8).fill(i);
}

/** The sum of an array. */
function sumArray(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] as number;
  return s;
}

export const tasks = defineTasks(import.meta.url, { bigArray, sumArray });
