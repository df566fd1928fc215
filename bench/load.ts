/**
 * Volunteer scale (issue 17): one real `bask scheduler`, fake worker connections added in steps
 * up to `--connections` (10,000 by default, spread over `--procs` child processes of
 * bench/load-fakes.ts so that the scheduler, not one generator, is what saturates), each
 * heartbeating as a volunteer does (every 500 ms, or as rarely as the scheduler's pings ask:
 * server/scheduler/liveness.ts), then
 * `--tasks` tiny tasks (1M) in graphs of `--batch` through one client.
 *
 * At each step, over `--idle` seconds with nothing to compute: the scheduler's CPU (its
 * /metrics counter), so CPU per connection and per heartbeat message; heap and RSS; how late
 * pings reach the workers (p50 / p99 / max); a client's ping round trip (p50 / p99). During the
 * computation: tasks/s per batch, the same latencies, peak heap and RSS. While each step
 * connects: how long the joins took and the scheduler's CPU per join (a join must cost the
 * same whatever the cluster's size: no peer table in the welcome, nothing announced to the
 * others). Rows go to bench/results/load.json.
 *
 * `--prof DIR` runs the scheduler under `node --cpu-prof` and stops it with SIGINT at the end,
 * so that its profile lands in DIR. `--tasks 0` leaves out the computation.
 *
 *   npm run build && node dist/bench/load.js [--steps 1000,2500,5000,10000] [--procs 4]
 *     [--tasks 1000000] [--batch 100000] [--idle 8] [--prof DIR]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client, get, task } from 'bask';
import { inc } from './graphs.js';
import { arg, record, save } from './lib.js';
import { children, killChildren, scheduler } from './processes.js';
import { encodeFrame, decodeFrame } from '../src/wire/frame.js';
import { exchangeHello } from '../src/wire/handshake.js';
import { PROTOCOL_VERSION } from '../src/wire/protocol.js';
import { openSocket, type Socket } from '../src/wire/socket.js';
import { heartbeatInterval, pingInterval } from '../server/scheduler/liveness.js';

const STEPS = arg('steps', '1000,2500,5000,10000').split(',').map(Number);
const PROCS = Number(arg('procs', '4'));
const TASKS = Number(arg('tasks', '1000000'));
const BATCH = Number(arg('batch', '100000'));
const IDLE_S = Number(arg('idle', '8'));
const PROF = arg('prof', '');
/** The scheduler's default heartbeat timeout (ms). */
const TIMEOUT_MS = 10_000;
const FAKES = fileURLToPath(new URL('./load-fakes.js', import.meta.url));
const rows: object[] = [];

interface Window {
  pings: number;
  gap_p50: number;
  gap_p99: number;
  gap_max: number;
  tasks: number;
}

/** One child process of fake workers and its latest report. */
interface Fakes {
  child: ChildProcess;
  windows: Window[];
}

async function startFakes(
  address: string,
  http: string,
  n: number,
  prefix: string,
): Promise<Fakes> {
  const child = spawn(
    process.execPath,
    [FAKES, '--address', address, '--http', http, '--n', String(n), '--prefix', prefix],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  children.push(child);
  const fakes: Fakes = { child, windows: [] };
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.on('exit', (code) => reject(new Error(`load-fakes exited (${code}) early`)));
    child.stdout?.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffered.slice(0, nl)) as Partial<Window> & { ready?: number };
        buffered = buffered.slice(nl + 1);
        if (line.ready !== undefined) resolve(fakes);
        else fakes.windows.push(line as Window);
      }
    });
  });
}

async function metrics(http: string, tries = 3): Promise<Record<string, number>> {
  let text: string;
  try {
    text = await (await fetch(`${http}/metrics`)).text();
  } catch (error) {
    // A keep-alive connection the scheduler closed as it was reused (its idle timer fired
    // during a long engine step): ask again on a new one.
    if (tries <= 1) throw error;
    return metrics(http, tries - 1);
  }
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^(bask_[a-z_]+) ([-\d.e+]+)$/gm))
    out[m[1] as string] = Number(m[2]);
  return out;
}

/** A bare client socket that measures the scheduler's ping round trip. */
async function prober(address: string): Promise<{ rtt: () => Promise<number>; close: () => void }> {
  const socket: Socket = await openSocket(address);
  await exchangeHello(socket, { type: 'hello', version: PROTOCOL_VERSION, role: 'client' });
  const waiting = new Map<number, () => void>();
  socket.onMessage((data) => {
    const m = decodeFrame(data) as { type: string; id?: number };
    if (m.type === 'pong' && m.id !== undefined) waiting.get(m.id)?.();
  });
  let next = 1;
  return {
    rtt: () =>
      new Promise((resolve) => {
        const id = next++;
        const t0 = performance.now();
        waiting.set(id, () => {
          waiting.delete(id);
          resolve(performance.now() - t0);
        });
        socket.send(encodeFrame({ type: 'ping', id }));
      }),
    close: () => socket.close(1000, 'done'),
  };
}

/** Samples until `done` resolves: ping RTTs every 50 ms, heap and RSS every 250 ms. */
async function observe<T>(
  http: string,
  probe: { rtt: () => Promise<number> },
  done: Promise<T>,
): Promise<{ value: T; rtt: number[]; peakHeap: number; peakRss: number }> {
  let finished = false;
  const rtt: number[] = [];
  let peakHeap = 0;
  let peakRss = 0;
  const pinging = (async () => {
    while (!finished) {
      rtt.push(await probe.rtt());
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const polling = (async () => {
    while (!finished) {
      const m = await metrics(http);
      peakHeap = Math.max(peakHeap, m['bask_scheduler_heap_bytes'] ?? 0);
      peakRss = Math.max(peakRss, m['bask_scheduler_rss_bytes'] ?? 0);
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  const value = await done;
  finished = true;
  await Promise.all([pinging, polling]);
  rtt.sort((a, b) => a - b);
  return { value, rtt, peakHeap, peakRss };
}

function pct(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

/**
 * How late pings came since `from` (the fakes' report windows, merged conservatively): the gap
 * between pings past the scheduler's schedule for `connections` processes.
 */
function lateness(
  all: readonly Fakes[],
  from: number[],
  connections: number,
): { p50: number; p99: number; max: number } {
  const windows = all.flatMap((f, i) => f.windows.slice(from[i]));
  const due = pingInterval(500, connections);
  const late = (gap: number): number => Math.max(0, gap - due);
  return {
    p50: late(Math.max(0, ...windows.map((w) => w.gap_p50))),
    p99: late(Math.max(0, ...windows.map((w) => w.gap_p99))),
    max: late(Math.max(0, ...windows.map((w) => w.gap_max))),
  };
}

const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** The scheduler, under `--cpu-prof` when asked. */
function startScheduler(): ReturnType<typeof scheduler> {
  return scheduler([], PROF === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${PROF}`]);
}

/** Stops the scheduler with SIGINT (it exits cleanly and writes its profile). */
async function stopScheduler(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  await exited;
}

async function cpuSeconds(http: string): Promise<number> {
  return (await metrics(http))['bask_scheduler_cpu_seconds_total'] ?? 0;
}

async function main(): Promise<void> {
  const { address, http, child } = await startScheduler();
  child.once('exit', (code, signal) =>
    console.error(`load: the scheduler exited (code ${code}, signal ${signal})`),
  );
  const probe = await prober(address);
  const fakes: Fakes[] = [];
  let connected = 0;
  for (const target of STEPS) {
    const cpuBefore = await cpuSeconds(http);
    const t0 = performance.now();
    const add = target - connected;
    const parts = await Promise.all(
      Array.from({ length: PROCS }, (_, i) => {
        const n = Math.floor(add / PROCS) + (i < add % PROCS ? 1 : 0);
        return startFakes(address, http, n, `s${target}-p${i}`);
      }),
    );
    fakes.push(...parts);
    connected = target;
    const connectS = (performance.now() - t0) / 1000;
    const joinCpu = (await cpuSeconds(http)) - cpuBefore;
    const marks = fakes.map((f) => f.windows.length);
    const before = await metrics(http);
    const idle = await observe(http, probe, new Promise((r) => setTimeout(r, IDLE_S * 1000)));
    const after = await metrics(http);
    const cpu =
      (after['bask_scheduler_cpu_seconds_total'] ?? 0) -
      (before['bask_scheduler_cpu_seconds_total'] ?? 0);
    const late = lateness(fakes, marks, target);
    record(rows, {
      kind: 'idle',
      connections: target,
      workers_registered: after['bask_worker_processes'],
      joined: add,
      connect_s: round(connectS),
      cpu_us_per_join: Math.round((joinCpu * 1e6) / add),
      scheduler_cpu_pct: round((100 * cpu) / IDLE_S),
      ping_every_ms: pingInterval(500, target),
      heartbeat_every_ms: heartbeatInterval(500, target, TIMEOUT_MS),
      // Each connection: a heartbeat in per heartbeat interval, a ping out per ping interval.
      cpu_us_per_connection_s: round((cpu * 1e6) / (target * IDLE_S)),
      cpu_us_per_message: round(
        (cpu * 1e6) /
          (target *
            IDLE_S *
            (1000 / heartbeatInterval(500, target, TIMEOUT_MS) + 1000 / pingInterval(500, target))),
        2,
      ),
      ping_late_p50_ms: late.p50,
      ping_late_p99_ms: late.p99,
      ping_late_max_ms: late.max,
      client_rtt_p50_ms: round(pct(idle.rtt, 0.5)),
      client_rtt_p99_ms: round(pct(idle.rtt, 0.99)),
      heap_mb: Math.round((after['bask_scheduler_heap_bytes'] ?? 0) / 1e6),
      rss_mb: Math.round((after['bask_scheduler_rss_bytes'] ?? 0) / 1e6),
      peak_heap_mb: Math.round(idle.peakHeap / 1e6),
    });
  }

  if (TASKS > 0) await compute(address, http, probe, fakes, connected);
  probe.close();
  for (const f of fakes) f.child.stdin?.end();
  if (PROF !== '') await stopScheduler(child);
  save('load', rows, { steps: STEPS, procs: PROCS, tasks: TASKS, batch: BATCH, idle_s: IDLE_S });
}

/** `TASKS` tiny tasks through one client, in graphs of `BATCH`, the fakes answering. */
async function compute(
  address: string,
  http: string,
  probe: { rtt: () => Promise<number> },
  fakes: readonly Fakes[],
  connected: number,
): Promise<void> {
  const client = await Client.connect(address, { setAsDefault: false });
  const marks = fakes.map((f) => f.windows.length);
  const before = await metrics(http);
  const t0 = performance.now();
  const batches: number[] = [];
  const run = (async () => {
    let wrong = 0;
    for (let start = 0; start < TASKS; start += BATCH) {
      const graph: Record<string, unknown> = {};
      const n = Math.min(BATCH, TASKS - start);
      for (let i = 0; i < n; i++) graph[`t${start}-${i}`] = task(inc, start + i);
      const tb = performance.now();
      const values = (await get(graph, Object.keys(graph), { scheduler: client })) as number[];
      batches.push((performance.now() - tb) / 1000);
      for (let i = 0; i < n; i++) if (values[i] !== start + i + 1) wrong++;
      // Progress on stderr: a run cut short still says how far it got and at what cost.
      const cpu = (await cpuSeconds(http)) - (before['bask_scheduler_cpu_seconds_total'] ?? 0);
      console.error(
        `load: ${start + n} tasks in ${round((performance.now() - t0) / 1000)} s, scheduler CPU ${round(cpu)} s`,
      );
    }
    return wrong;
  })();
  const busy = await observe(http, probe, run);
  const seconds = (performance.now() - t0) / 1000;
  const after = await metrics(http);
  const late = lateness(fakes, marks, connected);
  const cpu =
    (after['bask_scheduler_cpu_seconds_total'] ?? 0) -
    (before['bask_scheduler_cpu_seconds_total'] ?? 0);
  const sorted = [...batches].sort((a, b) => a - b);
  record(rows, {
    kind: 'compute',
    connections: connected,
    tasks: TASKS,
    batch: BATCH,
    all_correct: busy.value === 0,
    seconds: round(seconds),
    tasks_per_s: Math.round(TASKS / seconds),
    batch_s_median: round(pct(sorted, 0.5), 2),
    batch_s_max: round(sorted[sorted.length - 1] ?? 0, 2),
    scheduler_cpu_pct: round((100 * cpu) / seconds),
    cpu_us_per_task: round((cpu * 1e6) / TASKS, 2),
    ping_late_p50_ms: late.p50,
    ping_late_p99_ms: late.p99,
    ping_late_max_ms: late.max,
    client_rtt_p50_ms: round(pct(busy.rtt, 0.5)),
    client_rtt_p99_ms: round(pct(busy.rtt, 0.99)),
    peak_heap_mb: Math.round(busy.peakHeap / 1e6),
    peak_rss_mb: Math.round(busy.peakRss / 1e6),
    workers_still_registered: after['bask_worker_processes'],
  });
  await client.close();
}

try {
  await main();
} finally {
  killChildren();
}
