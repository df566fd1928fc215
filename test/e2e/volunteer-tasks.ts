/**
 * Task functions for the volunteer tests and benchmarks: plain, browser-safe code (no Node
 * modules), shipped to volunteer browsers as a task module the client uploads.
 */
import { defineTasks } from '../../src/graph/fnref.js';

/** `n` float64s that depend on `seed` (8n bytes). */
function makeArray(n: number, seed: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ((i * 31 + seed * 17) % 1000) / 10;
  return out;
}

/** Sum of an array's values. */
function total(values: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] as number;
  return sum;
}

/** The sum `makeArray(n, seed)` gives, computed without the array (the expected value). */
function expectedTotal(n: number, seed: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += ((i * 31 + seed * 17) % 1000) / 10;
  return sum;
}

/** `values` as they are, after `ms` milliseconds (to make a run last). */
async function slowArray(n: number, seed: number, ms: number): Promise<Float64Array> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return makeArray(n, seed);
}

/** Sum of many arrays' sums. */
function totals(...values: Float64Array[]): number {
  let sum = 0;
  for (const v of values) sum += total(v);
  return sum;
}

/** A byte length (to move a value without sending it back). */
function byteLength(values: Float64Array): number {
  return values.byteLength;
}

function inc(x: number): number {
  return x + 1;
}

/** Kills its thread: an uncaught error, or an unhandled rejection; never returns. */
function crash(how: 'error' | 'rejection'): Promise<never> {
  if (how === 'error')
    setTimeout(() => {
      throw new Error('the thread crashes');
    });
  else void Promise.reject(new Error('the thread crashes'));
  return new Promise<never>(() => undefined);
}

export const tasks = defineTasks(import.meta.url, {
  makeArray,
  total,
  slowArray,
  totals,
  byteLength,
  inc,
  crash,
});

export { expectedTotal };
