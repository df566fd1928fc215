/**
 * Issue 8's figures (bench/FAULTS.md), each against real `bask scheduler` processes:
 *  - fuzz: random and mutated messages (garbage bytes, truncated frames, huge lengths, valid
 *    frames with wrong fields and types) from both roles, while an honest client keeps
 *    computing: the scheduler stays up and every honest result is right;
 *  - chaos: runs of a 1,000-task graph while worker processes and threads are killed at random
 *    moments: every run ends with the right result, none hangs;
 *  - load: 1,000 worker connections and 100,000 tasks on one scheduler: all complete; the
 *    scheduler's memory is sampled throughout.
 *
 *   npm run build && node dist/bench/faults.js [--fuzz 100000] [--chaos 50] [--load 1000] [--tasks 100000]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client, get, ref, task } from 'bask';
import { encodeFrame } from '../src/wire/frame.js';
import { PROTOCOL_VERSION } from '../src/wire/protocol.js';
import { openSocket } from '../src/wire/socket.js';
import { encodeGraph } from '../src/client/remote.js';
import { prepareGraph } from '../src/graph/prepare.js';
import { viewGraph } from '../src/graph/analyze.js';
import { fakeWorkers } from './fake-workers.js';
import { inc } from './graphs.js';
import { record, save } from './lib.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const FUZZ = Number(arg('fuzz', '100000'));
const CHAOS = Number(arg('chaos', '50'));
const LOAD = Number(arg('load', '1000'));
const TASKS = Number(arg('tasks', '100000'));
const CLI = fileURLToPath(new URL('../../bin/bask.js', import.meta.url));
const rows: object[] = [];
const children: ChildProcess[] = [];

function bask(
  args: string[],
  ready: RegExp,
): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    stdio: [
      'ignore',
      'pipe',
      process.env['BASK_BENCH_STDERR'] === undefined ? 'ignore' : 'inherit',
    ],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.on('exit', (code) => reject(new Error(`bask ${args[0]} exited (${code}) early: ${out}`)));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m !== null) resolve({ child, match: m });
    });
  });
}

async function scheduler(): Promise<{ child: ChildProcess; address: string; http: string }> {
  const s = await bask(
    ['scheduler', '--port', '0', '--dashboard-port', '0'],
    /Scheduler at: (\S+)\s+Dashboard at: (\S+)\/status/,
  );
  return { child: s.child, address: s.match[1] as string, http: s.match[2] as string };
}

async function metric(http: string, name: string): Promise<number> {
  const text = await (await fetch(`${http}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
}

// ---- fuzz -----------------------------------------------------------------------------------

const rnd = (n: number): number => Math.floor(Math.random() * n);
const TYPES = [
  'submit',
  'release',
  'cancel',
  'gather',
  'scatter',
  'module',
  'who-has',
  'info',
  'ping',
  'keep',
  'results',
  'gathered',
  'relay-fetch',
  'relay-data',
  'heartbeat',
  'put-done',
  'thread-exit',
  'thread-ready',
  'hello',
  'batch',
  'nonsense',
];

function junkValue(depth = 0): unknown {
  switch (rnd(depth > 2 ? 6 : 9)) {
    case 0:
      return rnd(2) === 0 ? -rnd(1e9) : rnd(1e12) * 1e6;
    case 1:
      return 'x'.repeat(rnd(3) === 0 ? 100_000 : rnd(20));
    case 2:
      return null;
    case 3:
      return rnd(2) === 0;
    case 4:
      return new Int32Array(rnd(20)).map(() => rnd(2e9) - 1e9);
    case 5:
      return undefined;
    case 6:
      return Array.from({ length: rnd(5) }, () => junkValue(depth + 1));
    case 7:
      return Object.fromEntries(
        Array.from({ length: rnd(5) }, () => [
          TYPES[rnd(TYPES.length)] as string,
          junkValue(depth + 1),
        ]),
      );
    default:
      return {
        type: TYPES[rnd(TYPES.length)],
        id: junkValue(depth + 1),
        keys: junkValue(depth + 1),
        worker: junkValue(depth + 1),
      };
  }
}

/** A realistic submit message to mutate. */
function realSubmit(): Record<string, unknown> {
  const graph = { a: task(inc, 1), b: task(inc, ref('a')) };
  return {
    type: 'submit',
    id: 1,
    graph: encodeGraph(prepareGraph(viewGraph(graph), ['b'])),
    wanted: ['b'],
  };
}

function mutate(message: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = structuredClone(message);
  const graph = copy['graph'] as Record<string, unknown>;
  switch (rnd(6)) {
    case 0:
      delete copy[Object.keys(copy)[rnd(Object.keys(copy).length)] as string];
      break;
    case 1:
      graph['depList'] = new Int32Array([rnd(2e9), -rnd(2e9)]);
      break;
    case 2:
      graph['depStart'] = new Int32Array([0, 1e9]);
      break;
    case 3:
      graph['keys'] = junkValue();
      break;
    case 4:
      graph['specs'] = [
        { fn: { kind: 'module', url: 'file:///etc/passwd', name: 'x' }, args: [], marked: false },
      ];
      break;
    default:
      copy['wanted'] = Array.from({ length: 1000 }, (_, i) => `missing-${i}`);
  }
  return copy;
}

function garbageFrame(): Uint8Array[] {
  switch (rnd(6)) {
    case 0:
      return [Uint8Array.from({ length: 1 + rnd(200) }, () => rnd(256))];
    case 1: {
      const whole = encodeFrame(realSubmit())[0] as Uint8Array;
      return [whole.slice(0, rnd(whole.length))];
    }
    case 2: {
      const f = new Uint8Array(16);
      new DataView(f.buffer).setUint32(0, 0x314b5342, true);
      new DataView(f.buffer).setUint32(4, 0xfffffff0, true);
      return [f];
    }
    case 3:
      return encodeFrame(mutate(realSubmit()));
    default:
      return encodeFrame(junkValue());
  }
}

async function fuzzConnection(
  address: string,
  budget: { left: number; sent: number; closes: number },
): Promise<void> {
  const role = rnd(2) === 0 ? 'client' : 'worker';
  let socket;
  try {
    socket = await openSocket(address, 5000);
  } catch {
    return;
  }
  let open = true;
  socket.onClose(() => {
    open = false;
    budget.closes++;
  });
  const hello =
    role === 'client'
      ? { type: 'hello', version: PROTOCOL_VERSION, role }
      : {
          type: 'hello',
          version: PROTOCOL_VERSION,
          role,
          name: `fuzz-${rnd(1e6)}`,
          worker: { nthreads: 1, memoryLimit: 0, resources: {}, host: 'fuzz', kind: 'node' },
        };
  socket.send(encodeFrame(rnd(20) === 0 ? junkValue() : hello));
  for (let i = 0; i < 50 && open && budget.left > 0; i++) {
    budget.left--;
    budget.sent++;
    socket.send(garbageFrame());
    if (i % 10 === 9) await new Promise((r) => setTimeout(r, 1));
  }
  socket.close(1000, 'fuzz done');
}

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
    malformed_counted: await metric(http, 'bask_events_total\\{event="malformedMessages"\\}'),
    heap_after_mb: Math.round((await metric(http, 'bask_scheduler_heap_bytes')) / 1e6),
  });
  await client.close();
}

// ---- chaos ----------------------------------------------------------------------------------

async function chaos(): Promise<void> {
  const { address } = await scheduler();
  const workers = [
    await bask(['worker', address, '--nthreads', '2', '--name', 'c0'], /registered/),
    await bask(['worker', address, '--nthreads', '2', '--name', 'c1'], /registered/),
  ];
  const client = await Client.connect(address, { setAsDefault: false });
  let kills = 0;
  let correct = 0;
  let next = 2;
  const slow = (x: number): number => {
    const end = Date.now() + 2;
    while (Date.now() < end) {
      // busy for ~2 ms so that kills land mid-run
    }
    return x + 1;
  };
  for (let run = 0; run < CHAOS; run++) {
    const graph: Record<string, unknown> = {};
    const keys: string[] = [];
    for (let i = 0; i < 500; i++) graph[`leaf-${run}-${i}`] = task(slow, i);
    for (let i = 0; i < 500; i += 2) {
      graph[`pair-${run}-${i}`] = task(
        (a: number, b: number) => a + b,
        ref(`leaf-${run}-${i}`),
        ref(`leaf-${run}-${i + 1}`),
      );
      keys.push(`pair-${run}-${i}`);
    }
    const running = get(graph, keys, { scheduler: client });
    const victim = workers.splice(rnd(workers.length), 1)[0];
    setTimeout(
      () => {
        victim?.child.kill('SIGKILL');
        kills++;
      },
      50 + rnd(400),
    );
    const replacement = bask(
      ['worker', address, '--nthreads', '2', '--name', `c${next++}`],
      /registered/,
    );
    const result = (await Promise.race([
      running,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`run ${run} hung`)), 120_000)),
    ])) as number[];
    if (result.every((v, j) => v === 4 * j + 3)) correct++;
    workers.push(await replacement);
  }
  record(rows, {
    kind: 'chaos',
    runs: CHAOS,
    tasks_per_run: 750,
    workers_killed: kills,
    correct_runs: correct,
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
    scheduler_peak_heap_mb: Math.round(peakHeap / 1e6),
    scheduler_peak_rss_mb: Math.round(peakRss / 1e6),
    heap_after_mb: Math.round((await metric(http, 'bask_scheduler_heap_bytes')) / 1e6),
  });
  await client.close();
  for (const f of fakes) f.close();
}

try {
  if (FUZZ > 0) await fuzz();
  if (CHAOS > 0) await chaos();
  if (LOAD > 0) await load();
  save('faults', rows);
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
}
