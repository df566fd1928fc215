/**
 * The app's task module: functions the pool's workers run. It has imports of its own, so its
 * functions cannot travel as source text: the app's worker entry (bask.worker.ts) imports this
 * module, and tasks find it there by its name, 'app/tasks'.
 */
import { defineTasks } from 'bask/tasks';
import { countPrimes } from './primes';

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

export const tasks = defineTasks('app/tasks', { countPrimes, spin });
