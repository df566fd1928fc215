/**
 * The scheduler's engine step at volunteer scale, without sockets (issue 17): a `Cluster` with
 * `--workers` one-thread workers (connections that only encode what they are sent), one
 * submission of `--tasks` independent tiny tasks, then one results message from every worker
 * that got tasks. Reports the CPU time of the submission step (during which the scheduler serves
 * nothing else: heartbeats wait), of the later slices of its placement (each one turn of the
 * event loop, adapter.ts), the longest turn, and per results message. CPU time, so it holds on
 * a busy machine; compare worker counts in one run.
 *
 *   npm run build && node dist/bench/load-step.js [--workers 1000,3000,10000] [--tasks 100000]
 */
import { Cluster, type Conn } from '../server/scheduler/cluster.js';
import { encodeFrame } from '../src/wire/frame.js';
import { PROTOCOL_VERSION, type WireGraph } from '../src/wire/protocol.js';
import { arg, record, save } from './lib.js';

const WORKERS = arg('workers', '1000,3000,10000').split(',').map(Number);
const TASKS = Number(arg('tasks', '100000'));
const rows: object[] = [];

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function measure(workers: number): Promise<void> {
  const cluster = new Cluster();
  const conn = (id: string): Conn => ({
    id,
    send: (m) => void encodeFrame(m),
    close: () => undefined,
  });
  const conns = new Map<string, Conn>();
  for (let i = 0; i < workers; i++) {
    const c = conn(`w${i}`);
    conns.set(`f${i}/0`, c);
    cluster.addWorkerProcess(c, {
      type: 'hello',
      version: PROTOCOL_VERSION,
      role: 'worker',
      name: `f${i}`,
      worker: { nthreads: 1, memoryLimit: 0, resources: {}, host: 'h', kind: 'node' },
    });
    cluster.onWorkerMessage(c, { type: 'thread-ready', worker: `f${i}/0` });
  }
  const client = conn('client');
  cluster.addClient(client, { type: 'hello', version: PROTOCOL_VERSION, role: 'client' });
  const keys = Array.from({ length: TASKS }, (_, i) => `t${i}`);
  const graph: WireGraph = {
    keys,
    specs: keys.map((_, i) => ({
      fn: { kind: 'module', module: 'http://127.0.0.1/tasks.js', name: 'inc' },
      args: [i],
      marked: false,
    })),
    depStart: new Int32Array(TASKS + 1),
    depList: new Int32Array(0),
    external: [],
  };
  const t0 = process.cpuUsage();
  cluster.onClientMessage(client, { type: 'submit', id: 1, graph, wanted: keys });
  const submitMs = cpuMs(t0);
  // Placement left for later turns (a build without slices has none): each turn timed alone.
  let slices = 0;
  let longestMs = submitMs;
  let placeMs = submitMs;
  while ((cluster.engine as { hasDeferredPlacement?: boolean }).hasDeferredPlacement === true) {
    const t = process.cpuUsage();
    await nextTurn();
    const ms = cpuMs(t);
    slices++;
    placeMs += ms;
    longestMs = Math.max(longestMs, ms);
  }
  const running = new Map<string, string[]>();
  for (const t of cluster.engine.tasks.values()) {
    const w = t.state === 'processing' ? t.processingOn : null;
    if (w === null || w === undefined) continue;
    const list = running.get(w.id);
    if (list === undefined) running.set(w.id, [t.key]);
    else list.push(t.key);
  }
  const t1 = process.cpuUsage();
  let messages = 0;
  for (const [worker, ks] of running) {
    messages++;
    cluster.onWorkerMessage(conns.get(worker) as Conn, {
      type: 'results',
      worker,
      results: ks.map((key) => ({ key, start: 0, end: 0, nbytes: 8, value: 1, hasValue: true })),
    });
  }
  const resultsMs = cpuMs(t1);
  record(rows, {
    workers,
    tasks: TASKS,
    submit_step_cpu_ms: Math.round(submitMs),
    later_slices: slices,
    longest_turn_cpu_ms: Math.round(longestMs),
    placement_total_cpu_ms: Math.round(placeMs),
    results_messages: messages,
    cpu_us_per_results_message: Math.round((resultsMs * 1000) / Math.max(1, messages)),
  });
  cluster.close();
}

for (const w of WORKERS) await measure(w);
save('load-step', rows, { workers: WORKERS, tasks: TASKS });
