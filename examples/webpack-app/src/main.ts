import { compute, delayed, Pool } from 'bask';
import { tasks, type Run } from './tasks';

// A pool whose workers run the app's own worker entry: the pattern every bundler understands.
const pool = new Pool({
  numWorkers: 2,
  worker: () => new Worker(new URL('./bask.worker.ts', import.meta.url), { type: 'module' }),
});

const square = (x: number): number => x * x;
const add = (a: number, b: number): number => a + b;
const out = document.getElementById('out') as HTMLElement;

try {
  // A graph: self-contained functions travel as source, task-module functions by name.
  const squares = Array.from({ length: 8 }, (_, i) => delayed(square)(i));
  const total = delayed(add)(squares[3], squares[4]);
  const primes = delayed(tasks.countPrimes)(10_000);
  const [values, sum, primeCount] = await compute(squares, total, primes, { scheduler: pool });

  // 8 CPU-bound tasks of 200 ms on 2 workers.
  const started = Date.now();
  const [runs]: [Run[]] = await compute(
    Array.from({ length: 8 }, () => delayed(tasks.spin)(200)),
    { scheduler: pool },
  );
  const wall = Date.now() - started;
  const busy = runs.reduce((ms, r) => ms + (r.end - r.start), 0);
  const key = delayed(tasks.spin)(0).key; // 'spin-<token>': named after the task, not the minified function
  out.textContent = JSON.stringify({
    values,
    sum,
    primeCount,
    runs,
    speedup: Math.round((busy / wall) * 100) / 100,
    keyName: key.slice(0, key.indexOf('-')),
  });
} catch (error) {
  const e = error as { code?: string; message?: string };
  out.textContent = `error: ${e.code ?? ''} ${e.message ?? String(error)}`;
} finally {
  await pool.close();
}
