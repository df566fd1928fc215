/**
 * Issue 8's figures (bench/FAULTS.md), each against real `bask scheduler` processes:
 *  - fuzz: random and mutated messages (garbage bytes, truncated frames, huge lengths, valid
 *    frames with wrong fields and types) from both roles, while an honest client keeps
 *    computing: the scheduler stays up and every honest result is right;
 *  - chaos (bench/chaos.ts): runs of a 1,023-task tree reduction while worker processes,
 *    worker threads and volunteer browser tabs are killed at random moments: every run ends
 *    with the right result, none hangs;
 *  - load: 1,000 worker connections and 100,000 tasks on one scheduler: all complete; the
 *    scheduler's memory is sampled throughout, and read again once the client let go;
 *  - auth: on a scheduler with client and worker tokens, repeated attempts of each kind that
 *    must fail (missing and wrong tokens by role, a worker token used by a client, a worker that
 *    submits, a page from a foreign Origin): each refused, counted on /metrics and logged.
 *
 * Chaos opens volunteer tabs in Chromium (/usr/bin/chromium, or CHROMIUM_PATH) on the
 * scheduler's `/worker` page, which must be built first (`npm run build:volunteer`), unless
 * `--tabs 0`. `--fuzz 0`, `--chaos 0` or `--load 0` skips a part.
 *
 *   npm run build && npm run build:volunteer && node dist/bench/faults.js
 *     [--fuzz 100000] [--load 1000] [--tasks 100000] [--auth 50]
 *     [--chaos 50] [--procs 2] [--threads 2] [--tabs 2] [--kills 2] [--leaves 512]
 *     [--leaf-ms 1.5] [--hang-s 120]
 */
import { Client, get, task } from 'bask';
import { chaos } from './chaos.js';
import { fakeWorkers } from './fake-workers.js';
import { fuzzConnection } from './fuzz.js';
import { inc } from './graphs.js';
import { arg, record, save } from './lib.js';
import { bask, killChildren, scheduler } from './processes.js';
import { speak, upgradeFrom } from './probes.js';

const FUZZ = Number(arg('fuzz', '100000'));
const CHAOS = Number(arg('chaos', '50'));
const LOAD = Number(arg('load', '1000'));
const TASKS = Number(arg('tasks', '100000'));
const AUTH = Number(arg('auth', '50'));
const rows: object[] = [];

async function metric(http: string, name: string): Promise<number> {
  const text = await (await fetch(`${http}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
}

// ---- fuzz -----------------------------------------------------------------------------------

async function fuzz(): Promise<void> {
  const { address, http, child } = await scheduler();
  await bask(['worker', address, '--nthreads', '2', '--name', 'honest'], /registered/);
  const client = await Client.connect(address, { setAsDefault: false });
  const budget = { left: FUZZ, sent: 0, closes: 0 };
  let honest = 0;
  let wrong = 0;
  let fuzzing = true;
  const honestLoop = (async () => {
    while (fuzzing) {
      const graph: Record<string, unknown> = {};
      for (let i = 0; i < 20; i++) graph[`x-${i}`] = task(inc, i);
      const r = (await get(graph, Object.keys(graph), { scheduler: client })) as number[];
      if (r.some((v, i) => v !== i + 1)) wrong++;
      honest++;
    }
  })();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (budget.left > 0) await fuzzConnection(address, budget);
    }),
  );
  fuzzing = false;
  await honestLoop;
  const health = await (await fetch(`${http}/health`)).text();
  record(rows, {
    kind: 'fuzz',
    messages: budget.sent,
    seconds: (performance.now() - t0) / 1000,
    connections_closed: budget.closes,
    honest_computations: honest,
    honest_wrong: wrong,
    scheduler_alive: child.exitCode === null && health === 'ok\n',
    malformed_counted: await metric(http, 'bask_connections_closed_total\\{reason="invalid"\\}'),
    heap_after_mb: Math.round((await metric(http, 'bask_scheduler_heap_bytes')) / 1e6),
  });
  await client.close();
}

// ---- load -----------------------------------------------------------------------------------

async function load(): Promise<void> {
  const { address, http } = await scheduler();
  const idleHeap = await metric(http, 'bask_scheduler_heap_bytes');
  const t0 = performance.now();
  const fakes = await fakeWorkers(address, http, LOAD);
  const connectS = (performance.now() - t0) / 1000;
  const client = await Client.connect(address, { setAsDefault: false });
  while ((await client.info()).workers.length < LOAD) await new Promise((r) => setTimeout(r, 100));
  let peakHeap = 0;
  let peakRss = 0;
  const poll = setInterval(() => {
    void Promise.all([
      metric(http, 'bask_scheduler_heap_bytes'),
      metric(http, 'bask_scheduler_rss_bytes'),
    ]).then(([h, r]) => {
      peakHeap = Math.max(peakHeap, h);
      peakRss = Math.max(peakRss, r);
    });
  }, 250);
  const graph: Record<string, unknown> = {};
  for (let i = 0; i < TASKS; i++) graph[`t-${i}`] = task(inc, i);
  const t1 = performance.now();
  const result = (await get(graph, Object.keys(graph), { scheduler: client })) as number[];
  const computeS = (performance.now() - t1) / 1000;
  clearInterval(poll);
  const afterHeap = await metric(http, 'bask_scheduler_heap_bytes');
  await client.close();
  // The scheduler's heap once the client let go of its 100k results (not forced: GC runs when
  // V8 decides), a few seconds later.
  let releasedHeap = afterHeap;
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setTimeout(r, 500));
    releasedHeap = Math.min(releasedHeap, await metric(http, 'bask_scheduler_heap_bytes'));
  }
  const done = fakes.reduce((s, f) => s + f.tasksDone, 0);
  record(rows, {
    kind: 'load',
    worker_connections: LOAD,
    connect_s: connectS,
    tasks: TASKS,
    all_correct: result.every((v, i) => v === i + 1),
    tasks_run: done,
    compute_s: computeS,
    tasks_per_s: Math.round(TASKS / computeS),
    scheduler_idle_heap_mb: Math.round(idleHeap / 1e6),
    scheduler_peak_heap_mb: Math.round(Math.max(peakHeap, afterHeap) / 1e6),
    scheduler_peak_rss_mb: Math.round(peakRss / 1e6),
    heap_with_results_held_mb: Math.round(afterHeap / 1e6),
    heap_after_release_mb: Math.round(releasedHeap / 1e6),
  });
  for (const f of fakes) f.close();
}

// ---- auth -----------------------------------------------------------------------------------

const CLIENT_TOKEN = 'bench-client-token';
const WORKER_TOKEN = 'bench-worker-token';

/** Whether `attempt` fails with ERR_AUTH. */
async function refusedAuth(attempt: Promise<Client>): Promise<boolean> {
  try {
    await (await attempt).close();
    return false;
  } catch (error) {
    return (error as { code?: string }).code === 'ERR_AUTH';
  }
}

async function auth(): Promise<void> {
  const { address, http, stderr } = await scheduler([
    '--client-token',
    CLIENT_TOKEN,
    '--worker-token',
    WORKER_TOKEN,
  ]);
  const worker = { nthreads: 1, memoryLimit: 0, resources: {}, host: 'bench', kind: 'node' };
  const kinds: [string, () => Promise<boolean>][] = [
    ['client without a token', () => refusedAuth(Client.connect(address, { setAsDefault: false }))],
    [
      'client with a wrong token',
      () => refusedAuth(Client.connect(address, { token: 'guess', setAsDefault: false })),
    ],
    [
      'client with the worker token',
      () => refusedAuth(Client.connect(address, { token: WORKER_TOKEN, setAsDefault: false })),
    ],
    [
      'worker without a token',
      async () => (await speak(address, { role: 'worker', worker })).code === 4001,
    ],
    [
      'worker with a wrong token',
      async () => (await speak(address, { role: 'worker', token: 'guess', worker })).code === 4001,
    ],
    [
      'worker that submits work',
      async () =>
        (
          await speak(address, { role: 'worker', token: WORKER_TOKEN, worker }, [
            { type: 'submit', id: 1, graph: {}, wanted: ['x'] },
          ])
        ).code === 4002,
    ],
    [
      'dashboard without a token',
      async () => (await speak(address, { role: 'dashboard' })).code === 4001,
    ],
    [
      'page from a foreign Origin',
      async () => (await upgradeFrom(address, 'https://evil.example.com')) === 403,
    ],
  ];
  const attempts: Record<string, { tried: number; refused: number }> = {};
  for (const [name, attempt] of kinds) {
    const tally = { tried: 0, refused: 0 };
    for (let i = 0; i < AUTH; i++) {
      tally.tried++;
      if (await attempt()) tally.refused++;
    }
    attempts[name] = tally;
  }
  // An honest client with the right token still computes.
  const client = await Client.connect(address, { token: CLIENT_TOKEN, setAsDefault: false });
  await new Promise((r) => setTimeout(r, 1100)); // the log's rate window closes: summary lines
  await client.close();
  const text = await (await fetch(`${http}/metrics`)).text();
  const count = (name: string, reason: string): number =>
    Number(new RegExp(`^${name}\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  const log = stderr();
  const lines = (log.match(/refused \((auth|origin)\)|\): invalid message/g) ?? []).length;
  const summarized = [...log.matchAll(/\.\.\. and (\d+) more such lines/g)].reduce(
    (s, m) => s + Number(m[1]),
    0,
  );
  const tried = Object.values(attempts).reduce((s, a) => s + a.tried, 0);
  record(rows, {
    kind: 'auth',
    attempts,
    tried,
    refused: Object.values(attempts).reduce((s, a) => s + a.refused, 0),
    metrics_refused_auth: count('bask_connections_refused_total', 'auth'),
    metrics_refused_origin: count('bask_connections_refused_total', 'origin'),
    metrics_closed_invalid: count('bask_connections_closed_total', 'invalid'),
    log_lines: lines,
    log_lines_summarized: summarized,
  });
}

try {
  if (FUZZ > 0) await fuzz();
  if (CHAOS > 0)
    record(
      rows,
      await chaos({
        runs: CHAOS,
        leaves: Number(arg('leaves', '512')),
        leafMs: Number(arg('leaf-ms', '1.5')),
        procs: Number(arg('procs', '2')),
        threads: Number(arg('threads', '2')),
        tabs: Number(arg('tabs', '2')),
        kills: Number(arg('kills', '2')),
        hangMs: Number(arg('hang-s', '120')) * 1000,
      }),
    );
  if (LOAD > 0) await load();
  if (AUTH > 0) await auth();
  save('faults', rows);
} finally {
  killChildren();
}
