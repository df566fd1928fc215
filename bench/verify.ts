/**
 * Issue 8 benchmark, the cost of `verify`: the same work with `verify: 1` and `verify: 2` on
 * one cluster (a real `bask scheduler` and 3 `bask worker` processes of one thread each: two
 * distinct hosts per replica, a third for reruns), runs interleaved so that both see the same
 * machine. Reported as throughput (tasks/s) and the ratio verify:1 / verify:2 (the slowdown;
 * 2.0 is the floor set by doing every task twice on the same threads).
 *
 *  - tiny: client.map(inc) over 10k items + gather (scheduling and hashing dominate);
 *  - tree: `get` of a 10k-task reduction tree (dependents wait for verified inputs);
 *  - busy: client.map of a 2 ms busy task over 600 items (computation dominates).
 *
 *   npm run build && node dist/bench/verify.js [--reps 3]
 */
import { Client, get } from 'bask';
import { inc, treeGraph } from './graphs.js';
import { arg, record, save, summarize } from './lib.js';
import { bask } from './processes.js';

const REPS = Number(arg('reps', '3'));
const WORKERS = 3;
const rows: object[] = [];

/** Spins for `ms` milliseconds, then returns `x` (a task whose cost is its computation). */
function busy(x: number, ms: number): number {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin: the cost of this task is its computation
  }
  return x;
}

const scheduler = await bask(
  ['scheduler', '--port', '0', '--dashboard-port', '0'],
  /Scheduler at: (\S+)/,
);
const address = scheduler.match[1] as string;
const workers = await Promise.all(
  Array.from({ length: WORKERS }, (_, i) =>
    bask(['worker', address, '--nthreads', '1', '--name', `w${i}`], /registered/),
  ),
);
const client = await Client.connect(address, { setAsDefault: false });
while ((await client.info()).workers.length < WORKERS) await new Promise((r) => setTimeout(r, 5));

/** Times `fn` for verify 1 and 2, alternating, after one warm-up of each. */
async function compare(fn: (verify: number) => Promise<void>): Promise<[number[], number[]]> {
  await fn(1);
  await fn(2);
  const times: [number[], number[]] = [[], []];
  for (let r = 0; r < REPS; r++) {
    for (const verify of [1, 2]) {
      const t0 = performance.now();
      await fn(verify);
      times[verify - 1]?.push((performance.now() - t0) / 1000);
    }
  }
  return times;
}

function report(what: string, tasks: number, [one, two]: [number[], number[]]): void {
  const a = summarize(one).median;
  const b = summarize(two).median;
  record(rows, {
    kind: 'verify',
    what,
    tasks,
    verify1_tasks_per_s: Math.round(tasks / a),
    verify2_tasks_per_s: Math.round(tasks / b),
    slowdown: Math.round((b / a) * 100) / 100,
    spread_pct: Math.round(Math.max(summarize(one).spreadPct, summarize(two).spreadPct)),
  });
}

const items = Array.from({ length: 10_000 }, (_, i) => i);
report(
  'client.map(inc, 10k) + gather',
  items.length,
  await compare(async (verify) => {
    const futures = client.map(inc, items, { pure: false, verify });
    const got = await client.gather(futures);
    if (got[9999] !== 10_000) throw new Error('wrong result');
    for (const f of futures) f.release();
  }),
);

const tree = treeGraph(10_000);
report(
  'get(tree of 10k tasks)',
  tree.tasks,
  await compare(async (verify) => {
    if ((await get(tree.graph, tree.key, { scheduler: client, verify })) !== tree.expect)
      throw new Error('wrong result');
  }),
);

const slow = Array.from({ length: 600 }, (_, i) => i);
report(
  'client.map(busy 2 ms, 600) + gather',
  slow.length,
  await compare(async (verify) => {
    const futures = client.map(
      busy,
      slow,
      slow.map(() => 2),
      { pure: false, verify },
    );
    await client.gather(futures);
    for (const f of futures) f.release();
  }),
);

await client.close();
for (const w of workers) w.child.kill();
scheduler.child.kill();
save('verify', rows, { workers: `${WORKERS} processes x 1 thread`, reps: REPS });
