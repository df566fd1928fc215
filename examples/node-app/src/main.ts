/** Computes a graph on a pool of 2 worker threads and prints the results as JSON. */
import { compute, delayed, Pool } from 'bask';
import { tasks } from './tasks.js';

const square = (x: number): number => x * x;
const add = (a: number, b: number): number => a + b;

await using pool = new Pool({ numWorkers: 2 });

// A graph: self-contained functions travel as source, task-module functions by name.
const squares = Array.from({ length: 8 }, (_, i) => delayed(square)(i));
const total = delayed(add)(squares[3], squares[4]);
const primes = delayed(tasks.countPrimes)(10_000);
const [values, sum, primeCount] = await compute(squares, total, primes, { scheduler: pool });

// 8 CPU-bound tasks of 200 ms on 2 workers.
const started = Date.now();
const [runs] = await compute(
  Array.from({ length: 8 }, () => delayed(tasks.spin)(200)),
  { scheduler: pool },
);
const wall = Date.now() - started;
const busy = runs.reduce((ms, r) => ms + (r.end - r.start), 0);
const key = delayed(tasks.spin)(0).key;

console.log(
  JSON.stringify({
    values,
    sum,
    primeCount,
    runs,
    speedup: Math.round((busy / wall) * 100) / 100,
    keyName: key.slice(0, key.indexOf('-')),
  }),
);
