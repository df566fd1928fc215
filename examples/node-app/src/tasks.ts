/**
 * The app's task module. In Node, workers import it by its own URL (`import.meta.url`), so it
 * needs no worker entry of its own; on a cluster, the client uploads it (bundled with esbuild)
 * for workers on other machines.
 */
import { defineTasks } from 'bask/tasks';
import { countPrimes } from './primes.js';

/** Who ran a task and when (ms since the epoch). */
export interface Run {
  worker: string;
  start: number;
  end: number;
}

// One tag per worker thread: this module is evaluated once in each worker.
const tag = Math.random().toString(36).slice(2, 10);

/** Keeps a core busy for `ms` milliseconds, then says who did it. */
function spin(ms: number): Run {
  const start = Date.now();
  while (Date.now() - start < ms) {
    // busy: a CPU-bound task
  }
  return { worker: tag, start, end: Date.now() };
}

export const tasks = defineTasks(import.meta.url, { countPrimes, spin });
