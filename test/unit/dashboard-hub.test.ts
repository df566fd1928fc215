/**
 * The scheduler's dashboard hub, driven as data: a real `Cluster` (no sockets) fed worker
 * messages, dashboards as fake sockets whose send buffer we control, frames decoded as a page
 * would. Ticks are called by hand (no timer), so nothing here depends on time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  DashboardHub,
  MAX_RUNS_PER_FRAME,
  type DashboardSocket,
} from '../../server/dashboard/hub.js';
import { MAX_GRAPH_NODES } from '../../server/dashboard/graph.js';
import { Cluster, type Conn } from '../../server/scheduler/cluster.js';
import { isBaskError } from '../../src/errors.js';
import { decodeFrame, joinChunks } from '../../src/wire/frame.js';
import type {
  DashboardGraph,
  DashboardUpdate,
  ToDashboard,
} from '../../src/wire/dashboard-protocol.js';
import type { TaskResult } from '../../src/wire/pool-protocol.js';
import { PROTOCOL_VERSION, type WireGraph } from '../../src/wire/protocol.js';

/** A dashboard socket; `reading: false` is a page that stopped reading (nothing drains). */
class FakeSocket implements DashboardSocket {
  readyState = 1;
  bufferedAmount = 0;
  bytes = 0;
  readonly messages: ToDashboard[] = [];
  private parts: Uint8Array[] = [];

  constructor(private readonly reading: boolean) {}

  send(data: Uint8Array, options: { fin: boolean }): void {
    this.parts.push(data);
    this.bytes += data.byteLength;
    if (!this.reading) this.bufferedAmount += data.byteLength;
    if (options.fin) {
      this.messages.push(decodeFrame(joinChunks(this.parts)) as ToDashboard);
      this.parts = [];
    }
  }

  close(): void {
    this.readyState = 3;
  }

  updates(): DashboardUpdate[] {
    return this.messages.filter((m): m is DashboardUpdate => m.type === 'update');
  }

  /** Keys of every run received, in order. */
  runKeys(): string[] {
    return this.updates().flatMap((u) => u.runs.keys);
  }
}

const quiet: Conn = { id: 'q', send: () => undefined, close: () => undefined };
let hubs: DashboardHub[] = [];

function setup(options: { highWater?: number; ringCapacity?: number } = {}): {
  cluster: Cluster;
  hub: DashboardHub;
  report: (results: TaskResult[], worker?: string) => void;
} {
  const cluster = new Cluster();
  const hub = new DashboardHub(cluster, { interval: 0, ...options });
  hubs.push(hub);
  const conn: Conn = { id: 'p1', send: () => undefined, close: () => undefined };
  cluster.addWorkerProcess(conn, {
    type: 'hello',
    version: PROTOCOL_VERSION,
    role: 'worker',
    name: 'alice',
    worker: { nthreads: 2, memoryLimit: 0, resources: {}, host: 'h', kind: 'node' },
  });
  for (const worker of ['alice/0', 'alice/1'])
    cluster.onWorkerMessage(conn, { type: 'thread-ready', worker });
  const report = (results: TaskResult[], worker = 'alice/0'): void =>
    cluster.onWorkerMessage(conn, { type: 'results', worker, results });
  return { cluster, hub, report };
}

function runs(prefix: string, n: number, from = 0): TaskResult[] {
  return Array.from({ length: n }, (_, i) => ({
    key: `${prefix}-${from + i}`,
    start: 1000 + i,
    end: 1001 + i,
  }));
}

afterEach(() => {
  for (const hub of hubs) hub.close();
  hubs = [];
});

describe('dashboard hub', () => {
  it('does no work while no dashboard is connected', () => {
    const { cluster, hub, report } = setup();
    expect(cluster.onStep).toBeUndefined();
    expect(cluster.onResults).toBeUndefined();
    report(runs('inc', 10));
    expect(hub.ring.next).toBe(0);
    const page = new FakeSocket(true);
    hub.add('d1', page);
    expect(hub.isFollowing).toBe(true);
    expect(cluster.onResults).toBeTypeOf('function');
    hub.remove('d1');
    expect(hub.isFollowing).toBe(false);
    expect(cluster.onStep).toBeUndefined();
    expect(cluster.onResults).toBeUndefined();
    report(runs('inc', 10, 10));
    expect(hub.ring.next).toBe(0);
  });

  it('sends a reading dashboard every run once, in order, with totals and groups', () => {
    const { hub, report } = setup();
    const page = new FakeSocket(true);
    hub.add('d1', page);
    report([
      ...runs('inc', 200),
      { key: 'boom-1', start: 1, end: 2, error: { name: 'E', message: 'x' } },
    ]);
    hub.tick(10_000);
    report(runs('add', 50), 'alice/1');
    hub.tick(10_100);
    const keys = page.runKeys();
    expect(keys).toHaveLength(251);
    expect(keys.slice(0, 3)).toEqual(['inc-0', 'inc-1', 'inc-2']);
    expect(keys.at(-1)).toBe('add-49');
    const last = page.updates().at(-1) as DashboardUpdate;
    expect(last.totals).toMatchObject({ tasksDone: 250, tasksErred: 1, processes: 1, threads: 2 });
    const groups = Object.fromEntries(last.groups.map((g) => [g.name, g]));
    expect(groups['inc']).toMatchObject({ done: 200, erred: 0, total: 200 });
    expect(groups['boom']).toMatchObject({ done: 0, erred: 1 });
    expect(groups['add']).toMatchObject({ done: 50 });
    const first = page.updates()[0] as DashboardUpdate;
    const failed = [...first.runs.failed].filter((f) => f === 1);
    expect(failed).toHaveLength(1);
    expect(first.runs.workerNames).toEqual(['alice/0']);
    expect(last.workers.map((w) => [w.name, w.nthreads, w.kind])).toEqual([['alice', 2, 'node']]);
  });

  it('sends at most one frame per tick, and with nothing new only once a second', () => {
    const { hub, report } = setup();
    const page = new FakeSocket(true);
    hub.add('d1', page);
    hub.tick(10_000);
    report(runs('inc', 5));
    hub.tick(10_000);
    expect(page.updates()).toHaveLength(2);
    hub.tick(10_100);
    hub.tick(10_200);
    expect(page.updates()).toHaveLength(2);
    hub.tick(11_100);
    expect(page.updates()).toHaveLength(3);
  });

  it('streams at most MAX_RUNS_PER_FRAME runs per frame, an even sample, counting the rest', () => {
    const { hub, report } = setup();
    const page = new FakeSocket(true);
    hub.add('d1', page);
    hub.tick(10_000);
    report(runs('inc', MAX_RUNS_PER_FRAME + 1234));
    hub.tick(10_100);
    const last = page.updates().at(-1) as DashboardUpdate;
    expect(last.runs.keys).toHaveLength(MAX_RUNS_PER_FRAME);
    expect(last.runs.skipped).toBe(1234);
    expect(last.runs.keys.at(-1)).toBe(`inc-${MAX_RUNS_PER_FRAME + 1233}`);
    const numbers = last.runs.keys.map((k) => Number(k.slice(4)));
    expect(numbers[0]).toBeLessThan(5);
    expect(numbers.every((n, i) => i === 0 || n > (numbers[i - 1] as number))).toBe(true);
    expect(last.totals.tasksDone).toBe(MAX_RUNS_PER_FRAME + 1234);
  });

  it('drops frames for a dashboard that stopped reading and never queues for it', () => {
    const highWater = 16 * 1024;
    const { hub, report } = setup({ highWater, ringCapacity: 1000 });
    const stalled = new FakeSocket(false);
    const reader = new FakeSocket(true);
    hub.add('stalled', stalled);
    hub.add('reader', reader);
    let largestFrame = 0;
    for (let batch = 0; batch < 100; batch++) {
      report(runs('inc', 100, batch * 100));
      const before = reader.bytes;
      hub.tick(10_000 + batch * 100);
      largestFrame = Math.max(largestFrame, reader.bytes - before);
    }
    // The reader got everything; the stalled page got frames only until its buffer filled.
    expect(reader.runKeys()).toHaveLength(10_000);
    expect(hub.stats.framesDropped).toBeGreaterThan(90);
    expect(stalled.bufferedAmount).toBeLessThanOrEqual(highWater + largestFrame);
    expect(hub.stats.maxBuffered).toBeLessThanOrEqual(highWater + largestFrame);
    // Reading again, it resumes from the ring: what was overwritten is reported as skipped.
    stalled.bufferedAmount = 0;
    hub.tick(30_000);
    const resumed = stalled.updates().at(-1) as DashboardUpdate;
    expect(resumed.dropped).toBe(hub.stats.framesDropped);
    expect(resumed.runs.skipped).toBeGreaterThan(0);
    expect(resumed.runs.keys.length).toBeLessThanOrEqual(1000);
    expect(resumed.runs.keys.at(-1)).toBe('inc-9999');
  });

  it('answers graph requests with the tasks, or a summary by group for large graphs', () => {
    const { cluster, hub } = setup();
    const page = new FakeSocket(true);
    hub.add('d1', page);
    cluster.addClient(quiet, { type: 'hello', version: PROTOCOL_VERSION, role: 'client' });
    const submit = (graph: WireGraph, wanted: string[]): void =>
      cluster.onClientMessage(quiet, { type: 'submit', id: 1, graph, wanted });
    submit(chain('small', 3), ['small-2']);
    hub.onMessage('d1', { type: 'graph', id: 7 });
    const small = page.messages.find((m): m is DashboardGraph => m.type === 'graph');
    expect(small?.id).toBe(7);
    expect(small?.graph).toMatchObject({ level: 'tasks', tasks: 3 });
    expect(small?.graph.edges).toHaveLength(2);

    submit(chain('big', MAX_GRAPH_NODES + 10), [`big-${MAX_GRAPH_NODES + 9}`]);
    hub.onMessage('d1', { type: 'graph', id: 8 });
    hub.tick(Date.now() + 5000); // graph answers are rate-limited to one a second
    const big = page.messages.filter((m): m is DashboardGraph => m.type === 'graph').at(-1);
    expect(big?.id).toBe(8);
    expect(big?.graph.level).toBe('groups');
    expect(big?.graph.nodes.map((n) => n.id).sort()).toEqual(['big', 'small']);

    let error: unknown;
    try {
      hub.onMessage('d1', { type: 'submit' });
    } catch (e) {
      error = e;
    }
    expect(isBaskError(error, 'ERR_PROTOCOL')).toBe(true);
  });
});

/** A chain of literal-valued tasks `name-0 <- name-1 <- ...` (the engine never runs specs). */
function chain(name: string, n: number): WireGraph {
  const depStart = new Int32Array(n + 1);
  const depList = new Int32Array(Math.max(0, n - 1));
  for (let i = 1; i < n; i++) {
    depList[i - 1] = i - 1;
    depStart[i + 1] = i;
  }
  depStart[1] = 0;
  return {
    keys: Array.from({ length: n }, (_, i) => `${name}-${i}`),
    specs: Array.from({ length: n }, () => ({ fn: null, args: [1], marked: false })),
    depStart,
    depList,
    external: [],
  };
}
