/**
 * Reconnect time after a scheduler restart: a real `bask scheduler` and one `bask worker`, a
 * client that computed; the scheduler is killed (SIGKILL) and started again on the same port.
 * Measured: from the new scheduler listening (its "Scheduler at" line) to the client's next
 * successful `submit(inc).result()`: the client's reconnection (where it is in its backoff),
 * the worker's rejoin (its own backoff) and one task; and to its first answer (`info()`, no
 * worker needed: the client's reconnection alone). Two client policies: the default
 * (250 ms doubling up to 5 s) and a tight one (10 ms up to 50 ms); the worker keeps its own
 * (250 ms doubling, as `bask worker`).
 *
 *   npm run build && node dist/bench/reconnect.js [--reps 5]
 */
import { Client } from 'bask';
import { inc } from './graphs.js';
import { arg, record, save, summarize } from './lib.js';
import { bask, killChildren, scheduler } from './processes.js';

const REPS = Number(arg('reps', '5'));
const rows: object[] = [];

type Policy = { retries: number; initialDelayMs: number; maxDelayMs: number } | undefined;

async function reconnectTimes(name: string, policy: Policy): Promise<void> {
  let s = await scheduler();
  const port = new URL(s.address).port;
  await bask(['worker', s.address, '--nthreads', '1', '--name', 'w'], /registered/);
  const client = await Client.connect(s.address, {
    setAsDefault: false,
    ...(policy !== undefined ? { reconnect: policy } : {}),
  });
  const samples: number[] = [];
  const answers: number[] = [];
  try {
    await client.submit(inc, 0).result();
    for (let i = 0; i < REPS; i++) {
      s.child.kill('SIGKILL');
      while (client.status !== 'reconnecting') await new Promise((r) => setTimeout(r, 5));
      s = await scheduler(['--port', port]);
      const t0 = performance.now();
      await client.info();
      answers.push((performance.now() - t0) / 1000);
      if ((await client.submit(inc, i + 1).result()) !== i + 2) throw new Error('wrong result');
      samples.push((performance.now() - t0) / 1000);
    }
  } finally {
    await client.close();
  }
  record(rows, { bench: 'reconnect', policy: name, what: 'first answer', ...summarize(answers) });
  record(rows, { bench: 'reconnect', policy: name, what: 'first submit', ...summarize(samples) });
}

try {
  await reconnectTimes('default', undefined);
  await reconnectTimes('tight', { retries: 1000, initialDelayMs: 10, maxDelayMs: 50 });
  save('reconnect', rows);
} finally {
  killChildren();
}
