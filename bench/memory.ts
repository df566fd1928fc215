/**
 * Worker memory under results worth 3x its limit (issue 17): one `bask worker --memory-limit
 * 200MiB --nthreads 1` holds 30 results of 20 MiB (600 MiB) that a client keeps, then sums
 * each (spilled ones come back from disk). Printed: the worker's RSS and spilled bytes as the
 * scheduler's /metrics reports them (sampled every 100 ms; the worker reports every 500 ms),
 * the peak, and the wall time.
 *
 *   npm run build && node dist/bench/memory.js [--limit 200] [--n 30] [--mib 20] [--nthreads 1]
 *     [--worker '--memory-terminate false'] [--sync]
 */
import { Client } from 'bask';
import { tasks } from './memory-tasks.js';
import { arg, record, save } from './lib.js';
import { bask, killChildren, scheduler } from './processes.js';

const LIMIT = Number(arg('limit', '200'));
const N = Number(arg('n', '30'));
const SIZE = Number(arg('mib', '20'));
const THREADS = arg('nthreads', '1');
/** More `bask worker` options, e.g. `--memory-terminate=false`. */
const EXTRA = arg('worker', '').split(' ').filter(Boolean);
/** `--sync`: arrays made by a synchronous task (a thread runs a batch of them back to back). */
const SYNC = process.argv.includes('--sync');
const MiB = 2 ** 20;

interface Sample {
  t: number;
  rss: number;
  spilled: number;
  paused: number;
}

async function sample(http: string, t0: number): Promise<Sample> {
  const text = await (await fetch(`${http}/metrics`)).text();
  const read = (name: string): number =>
    Number(new RegExp(`^${name}\\{worker="m"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return {
    t: (performance.now() - t0) / 1000,
    rss: read('bask_worker_memory_bytes'),
    spilled: read('bask_worker_spilled_bytes'),
    paused: read('bask_worker_paused'),
  };
}

try {
  const s = await scheduler();
  await bask(
    [
      'worker',
      s.address,
      '--name',
      'm',
      '--nthreads',
      THREADS,
      '--memory-limit',
      `${LIMIT}MiB`,
      ...EXTRA,
    ],
    /registered/,
  );
  const client = await Client.connect(s.address, { setAsDefault: false });
  const t0 = performance.now();
  const arrays = Array.from({ length: N }, (_, i) =>
    SYNC ? client.submit(tasks.bigArraySync, i, SIZE) : client.submit(tasks.bigArray, i, SIZE),
  );
  let done = false;
  const sums = client
    .gather(arrays.map((a) => client.submit(tasks.sumArray, a)))
    .finally(() => (done = true));
  const samples: Sample[] = [];
  while (!done) {
    samples.push(await sample(s.http, t0));
    await new Promise((r) => setTimeout(r, 100));
  }
  const got = await sums;
  const wall = (performance.now() - t0) / 1000;
  samples.push(await sample(s.http, t0));
  if (got.length !== N) throw new Error(`gathered ${got.length} sums for ${N} futures`);
  got.forEach((v, i) => {
    if (v !== (i * SIZE * MiB) / 8) throw new Error(`wrong sum ${i}: ${v}`);
  });
  await client.close();
  console.log('t (s)\tRSS (MiB)\tspilled (MiB)\tpaused');
  let last = '';
  for (const x of samples) {
    const line = `${(x.rss / MiB).toFixed(0)}\t${(x.spilled / MiB).toFixed(0)}\t${x.paused}`;
    if (line !== last) console.log(`${x.t.toFixed(1)}\t${line}`);
    last = line;
  }
  const peak = Math.max(...samples.map((x) => x.rss));
  const spilled = Math.max(...samples.map((x) => x.spilled));
  console.log(
    `limit ${LIMIT} MiB, ${N} x ${SIZE} MiB results (${N * SIZE} MiB): peak RSS ${(peak / MiB).toFixed(0)} MiB, ` +
      `most spilled at once ${(spilled / MiB).toFixed(0)} MiB, wall ${wall.toFixed(1)} s`,
  );
  record([], { bench: 'memory', limit: LIMIT, n: N, mib: SIZE, peak, spilled, wall });
  save('memory', [
    { bench: 'memory', limit: LIMIT, n: N, mib: SIZE, peak, spilled, wall, samples },
  ]);
} finally {
  killChildren();
}
