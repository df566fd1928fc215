/**
 * Task functions of the volunteer benchmark: browser-safe (no Node modules), shipped to the
 * volunteer pages as a task module the client uploads.
 */
import { defineTasks } from '../src/graph/fnref.js';

/** `n` float64s that depend on `seed` (8n bytes). */
function makeArray(n: number, seed: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (i + seed) % 1000;
  return out;
}

/** The byte length of an array: a task whose cost is getting its input. */
function byteLength(values: Float64Array): number {
  return values.byteLength;
}

function inc(x: number): number {
  return x + 1;
}

export const tasks = defineTasks(import.meta.url, { makeArray, byteLength, inc });
