/**
 * Computes on a running cluster: `node dist/cluster.js ws://127.0.0.1:8786` after
 * `npx bask scheduler` and `npx bask worker ws://127.0.0.1:8786`. Prints the results as JSON.
 * The task module travels to the workers bundled by esbuild (a dependency of this app).
 */
import { Client } from 'bask';
import { tasks } from './tasks.js';

const address = process.argv[2] ?? 'ws://127.0.0.1:8786';
const client = await Client.connect(address);
try {
  const inc = (x: number): number => x + 1;
  const add = (a: number, b: number): number => a + b;
  const a = client.submit(inc, 1);
  const b = client.submit(add, a, 10); // futures as arguments become dependencies
  const primes = client.submit(tasks.countPrimes, 10_000);
  console.log(
    JSON.stringify({
      inc: await a.result(),
      total: await b.result(),
      primeCount: await primes.result(),
    }),
  );
} finally {
  await client.close();
}
