/**
 * The cluster scheduler's core: the engine driven by connections. Clients submit graphs and
 * gather results; worker processes register their threads (one engine worker each, the
 * process as their host) and run what they are sent. This file turns messages into engine
 * events and instructions into messages; sockets, HTTP and timers live in `server.ts`.
 *
 * Values stay opaque here: task specs and results travel as encoded by the sender (markers
 * for refs and registered types), so the scheduler never runs or imports user code.
 *
 * Untrusted workers: the engine replicates tasks with `verify` on distinct processes (a
 * thread's host is its process's connection) and quarantines a process whose result disagrees
 * with the majority: it stays connected, marked on /workers, /api/info and /metrics, but gets
 * no tasks and serves no data. Runs with a `timeout` are timed here (deadlines.ts): a late
 * run's thread leaves the engine and its process is told to replace it.
 *
 * Invariants: every client request gets an answer (or the client's socket closes); a worker
 * process that goes away removes all its threads from the engine, which reschedules their work;
 * outgoing messages are batched per connection and flushed after each engine step.
 */
import { Engine } from '../../src/engine/engine.js';
import type { EngineEvent, Instruction, TaskOptions } from '../../src/engine/types.js';
import { BaskError, serializeError, type SerializedError } from '../../src/errors.js';
import type { GraphBatch } from '../../src/graph/prepare.js';
import type { TaskResult, WireTask } from '../../src/wire/pool-protocol.js';
import type {
  ClientMessage,
  ClusterInfo,
  FromWorkerProcess,
  Hello,
  QuarantinedProcess,
  ToClient,
  ToWorkerProcess,
  WorkerInfo,
  WireSpec,
} from '../../src/wire/protocol.js';
import { Deadlines, type Expired } from './deadlines.js';
import { Gathers } from './gathers.js';
import { CLOSE } from './guard.js';
import { ClientHolds } from './holds.js';
import { Metrics } from './metrics.js';
import { Puts } from './puts.js';
import { Relays } from './relays.js';
import { TaskWatchers } from './watchers.js';

/** A connection as the core sees it. */
export interface Conn {
  readonly id: string;
  send(message: unknown): void;
  close(code: number, reason: string): void;
}

/** A registered worker process. */
export interface WorkerProcessRecord {
  readonly conn: Conn;
  readonly name: string;
  readonly threads: string[];
  readonly info: NonNullable<Hello['worker']>;
  lastSeen: number;
  memory: number;
  bytesIn: Record<string, number>;
  bytesOut: Record<string, number>;
  /** Bytes of results spilled to disk, as last reported (browsers: IndexedDB). */
  spilled?: number;
  readonly joined: number;
  /** Set when it returned a result the majority disagreed with: it gets no more tasks. */
  quarantined?: { key: string; reason: string; since: number };
}

/** The most task-module text the scheduler keeps (clients upload modules once; they stay). */
const MAX_MODULE_BYTES = 256 * 1024 ** 2;
/** Quarantined processes listed by /api/info (the oldest go first). */
const MAX_QUARANTINED = 1000;
const KEEPER = '\u0000keeper';

/** The engine plus the cluster's connections. */
export class Cluster {
  readonly engine = new Engine({ policy: { bandwidth: 100e6 }, replicate: true });
  readonly processes = new Map<string, WorkerProcessRecord>();
  readonly clients = new Map<string, { conn: Conn; name: string; joined: number }>();
  readonly modules = new Map<string, string>();
  readonly metrics = new Metrics();
  private readonly threadProcess = new Map<string, WorkerProcessRecord>();
  private readonly gathers = new Gathers();
  private moduleBytes = 0;
  /** Relayed fetches in flight: `requester:id` -> the process asked, and the keys. */
  private readonly relays = new Relays();
  private readonly outbox = new Map<Conn, unknown[]>();
  /** Small results that came with this step's completions, and the thread that sent each. */
  private readonly values = new Map<string, { worker: string; value: unknown }>();
  private readonly deadlines = new Deadlines((expired) => this.timedOut(expired));
  private readonly quarantined: QuarantinedProcess[] = [];
  private events: EngineEvent[] = [];
  private draining = false;
  private scatterCount = 0;
  private readonly watchers = new TaskWatchers();
  private readonly puts = new Puts<Conn>();
  /** Messages of clients whose scatter is in flight (holds.ts). */
  private readonly holds = new ClientHolds<ClientMessage>();
  /** Called after each engine step with the instructions (dashboards listen). */
  onStep:
    ((instructions: readonly Instruction[], events: readonly EngineEvent[]) => void) | undefined;
  /** Called with each batch of task results before the engine sees them (dashboards' task stream). */
  onResults: ((worker: string, results: readonly TaskResult[]) => void) | undefined;
  /** Where the cluster logs what an operator must hear about (a quarantined worker). */
  log: (line: string) => void = (line) => console.error(line);

  // ---- connections ------------------------------------------------------------------------

  addClient(conn: Conn, hello: Hello): void {
    this.clients.set(conn.id, { conn, name: hello.name ?? conn.id, joined: Date.now() });
  }

  removeClient(conn: Conn): void {
    if (!this.clients.delete(conn.id)) return;
    this.holds.drop(conn.id);
    this.watchers.forget(conn.id);
    this.gathers.dropClient(conn.id);
    this.step([{ type: 'client-removed', client: conn.id }]);
  }

  /** Registers a worker process; returns the peers it should know about. */
  addWorkerProcess(conn: Conn, hello: Hello): WorkerInfo[] {
    const info = hello.worker as NonNullable<Hello['worker']>;
    const name = this.uniqueName(hello.name ?? conn.id);
    const threads = Array.from({ length: info.nthreads }, (_, i) => `${name}/${i}`);
    const record: WorkerProcessRecord = {
      conn,
      name,
      threads,
      info,
      lastSeen: Date.now(),
      memory: 0,
      bytesIn: {},
      bytesOut: {},
      joined: Date.now(),
    };
    const peers = this.workerInfos();
    this.processes.set(conn.id, record);
    for (const t of threads) this.threadProcess.set(t, record);
    const added = threads.map((id) => ({
      id,
      process: conn.id,
      ...(info.peerAddress !== undefined ? { peerAddress: info.peerAddress } : {}),
    }));
    for (const other of this.processes.values())
      if (other !== record) this.queue(other.conn, { type: 'peers', added, removed: [] });
    this.flush();
    // Threads join the engine when the process says each is ready ('thread-ready').
    return [...peers, ...added];
  }

  removeWorkerProcess(conn: Conn, reason: 'crashed' | 'closed'): void {
    const record = this.processes.get(conn.id);
    if (record === undefined) return;
    this.processes.delete(conn.id);
    for (const t of record.threads) {
      this.threadProcess.delete(t);
      this.deadlines.clearWorker(t);
    }
    this.gathers.dropWorker(conn.id, (clientId, id, keys) => this.answerGather(clientId, id, keys));
    // Scatters waiting on this process settle now (its part is simply not there).
    for (const put of this.puts.sentTo(conn.id)) this.putDone(put);
    // Relayed fetches it was asked for come back missing; those it asked are forgotten.
    this.relays.dropProcess(conn.id, (requester, id, keys) => {
      const waiting = this.processes.get(requester);
      if (waiting !== undefined)
        this.queue(waiting.conn, { type: 'relay-data', id, values: [], missing: keys });
    });
    for (const other of this.processes.values())
      this.queue(other.conn, { type: 'peers', added: [], removed: record.threads });
    this.step(record.threads.map((worker) => ({ type: 'worker-removed', worker, reason })));
  }

  /** The worker threads the cluster knows, for a new process's peer table. */
  workerInfos(): WorkerInfo[] {
    const out: WorkerInfo[] = [];
    for (const p of this.processes.values()) {
      for (const id of p.threads)
        out.push({
          id,
          process: p.conn.id,
          ...(p.info.peerAddress !== undefined ? { peerAddress: p.info.peerAddress } : {}),
        });
    }
    return out;
  }

  private uniqueName(wanted: string): string {
    const taken = new Set([...this.processes.values()].map((p) => p.name));
    if (!taken.has(wanted)) return wanted;
    for (let i = 1; ; i++) if (!taken.has(`${wanted}-${i}`)) return `${wanted}-${i}`;
  }

  // ---- client messages ------------------------------------------------------------------------

  onClientMessage(conn: Conn, message: ClientMessage): void {
    // Behind a scatter in flight, a client's messages wait (they may use its data).
    if (this.holds.queue(conn.id, message)) return;
    switch (message.type) {
      case 'submit':
        return this.submit(conn, message);
      case 'release':
        return this.step([{ type: 'keys-released', client: conn.id, keys: message.keys }]);
      case 'cancel':
        return this.step([{ type: 'keys-cancelled', client: conn.id, keys: message.keys }]);
      case 'retry':
        return this.step([{ type: 'keys-retried', client: conn.id, keys: message.keys }]);
      case 'keep':
        return this.keep(message.keys);
      case 'gather':
        return this.gather(conn, message.id, message.keys);
      case 'scatter':
        return this.scatter(conn, message);
      case 'module': {
        // Modules stay for the scheduler's life: their total is capped.
        const before = this.modules.get(message.url)?.length ?? 0;
        if (this.moduleBytes - before + message.code.length > MAX_MODULE_BYTES)
          throw new BaskError(
            'ERR_PROTOCOL',
            `task modules would exceed ${MAX_MODULE_BYTES / 1024 ** 2} MiB on this scheduler`,
          );
        this.moduleBytes += message.code.length - before;
        this.modules.set(message.url, message.code);
        return;
      }
      case 'who-has':
        return this.reply(conn, {
          type: 'answer',
          id: message.id,
          value: this.whoHas(message.keys),
        });
      case 'info':
        return this.reply(conn, { type: 'answer', id: message.id, value: this.info() });
      case 'ping':
        return this.reply(conn, { type: 'pong', id: message.id });
    }
  }

  private submit(conn: Conn, message: Extract<ClientMessage, { type: 'submit' }>): void {
    const g = message.graph;
    const batch: GraphBatch = {
      keys: g.keys,
      specs: g.specs,
      depStart: g.depStart,
      depList: g.depList,
      external: g.external,
    };
    const options =
      message.options === undefined
        ? undefined
        : new Map<string, TaskOptions>(Object.entries(message.options));
    try {
      this.step([
        {
          type: 'graph-submitted',
          client: conn.id,
          batch,
          wanted: message.wanted,
          ...(options !== undefined ? { options } : {}),
          ...(message.defaults !== undefined ? { defaults: message.defaults } : {}),
        },
      ]);
      this.metrics.count('submissions');
      if (message.progress === true) this.watchers.watch(conn.id, g.keys);
      this.reply(conn, { type: 'submitted', id: message.id });
    } catch (error) {
      this.reply(conn, { type: 'submitted', id: message.id, error: serializeError(error) });
    }
    if (message.keep !== undefined) this.keep(message.keep);
  }

  /** Queues task events for the clients watching these tasks. */
  private notifyWatchers(worker: string, results: readonly TaskResult[]): void {
    for (const [client, events] of this.watchers.events(worker, results)) {
      const c = this.clients.get(client);
      if (c !== undefined) this.queue(c.conn, { type: 'task-events', events });
    }
  }

  private keep(keys: readonly string[]): void {
    const known = keys.filter((k) => this.engine.tasks.has(k));
    if (known.length === 0) return;
    const empty: GraphBatch = {
      keys: [],
      specs: [],
      depStart: new Int32Array(1),
      depList: new Int32Array(0),
      external: [],
    };
    this.step([{ type: 'graph-submitted', client: KEEPER, batch: empty, wanted: known }]);
  }

  private gather(conn: Conn, id: number, keys: string[]): void {
    const byProcess = new Map<WorkerProcessRecord, Map<string, string[]>>();
    const missing: string[] = [];
    for (const key of keys) {
      const holder = this.engine.tasks.get(key)?.holders?.[0];
      const process = holder === undefined ? undefined : this.threadProcess.get(holder.id);
      if (holder === undefined || process === undefined) {
        missing.push(key);
        continue;
      }
      let threads = byProcess.get(process);
      if (threads === undefined) byProcess.set(process, (threads = new Map<string, string[]>()));
      let list = threads.get(holder.id);
      if (list === undefined) threads.set(holder.id, (list = []));
      list.push(key);
    }
    const gather = this.gathers.start(conn.id, id, keys, missing);
    for (const [process, threads] of byProcess) {
      for (const [worker, list] of threads) {
        const gid = this.gathers.part(gather, process.conn.id, list);
        this.queue(process.conn, {
          type: 'gather',
          id: gid,
          worker,
          keys: list,
        } satisfies ToWorkerProcess);
      }
    }
    if (this.gathers.isComplete(gather)) this.answerGather(conn.id, id, keys);
    this.flush();
  }

  private answerGather(clientId: string, id: number, keys: string[]): void {
    const client = this.clients.get(clientId);
    const done = this.gathers.finish(clientId, id);
    if (client === undefined || done === undefined) return;
    this.metrics.count('gathers');
    this.reply(client.conn, {
      type: 'gathered',
      id,
      keys,
      values: done.values,
      missing: done.missing,
    });
  }

  /**
   * Scatter: the values go to worker processes first; only when each has acknowledged its part
   * does the engine learn the data exists (so no task fetches data still on its way).
   */
  private scatter(conn: Conn, message: Extract<ClientMessage, { type: 'scatter' }>): void {
    const threads = [...this.threadProcess].flatMap(([t, p]) =>
      p.quarantined === undefined &&
      (message.workers === undefined ||
        message.workers.some((w) => t === w || t.startsWith(`${w}/`)))
        ? [t]
        : [],
    );
    if (threads.length === 0) {
      const error = new BaskError(
        'ERR_NO_WORKERS',
        'No workers to scatter to: start some with `bask worker ADDRESS`',
      );
      this.reply(conn, { type: 'scattered', id: message.id, error: serializeError(error) });
      return;
    }
    if (message.keys.length === 0) {
      this.reply(conn, { type: 'scattered', id: message.id });
      return;
    }
    const events: EngineEvent[] = [];
    const part = this.puts.start({ conn, id: message.id, events });
    this.holds.hold(conn.id);
    message.keys.forEach((key, i) => {
      const targets =
        message.broadcast === true
          ? threads
          : [threads[this.scatterCount++ % threads.length] as string];
      for (const worker of targets) {
        const process = this.threadProcess.get(worker) as WorkerProcessRecord;
        const id = part(process.conn.id);
        this.queue(process.conn, {
          type: 'put',
          id,
          worker,
          keys: [key],
          values: [message.values[i]],
        });
        events.push({ type: 'data-scattered', client: conn.id, key, worker, nbytes: 0 });
      }
    });
    this.flush();
  }

  private putDone(id: number): void {
    const pending = this.puts.done(id);
    if (pending === undefined) return;
    // Workers that left meanwhile are skipped: the engine only knows live workers.
    this.step(
      pending.events.filter((e) => e.type !== 'data-scattered' || this.threadProcess.has(e.worker)),
    );
    this.reply(pending.conn, { type: 'scattered', id: pending.id });
    if (this.clients.has(pending.conn.id)) this.releaseHeld(pending.conn);
  }

  /** Runs a client's messages held behind its scatter; one breaking the rules closes it. */
  private releaseHeld(conn: Conn): void {
    this.holds.release(conn.id, (message) => {
      try {
        this.onClientMessage(conn, message);
        return true;
      } catch (error) {
        this.holds.drop(conn.id);
        conn.close(
          CLOSE.invalid,
          `invalid message: ${error instanceof Error ? error.message : String(error)}`,
        );
        return false;
      }
    });
  }

  /** The workers holding each key the engine knows (unknown keys are left out). */
  private whoHas(keys: readonly string[]): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const k of keys) {
      const t = this.engine.tasks.get(k);
      if (t !== undefined) out[k] = (t.holders ?? []).map((w) => w.id);
    }
    return out;
  }

  /** Workers, task states and quarantined processes (client.info(), /api/info). */
  info(): ClusterInfo {
    const workers = [...this.engine.workers.values()].map((w) => ({
      id: w.id,
      nthreads: w.nthreads,
      host: this.threadProcess.get(w.id)?.info.host ?? w.host,
      memory: this.threadProcess.get(w.id)?.memory ?? 0,
      keys: w.nkeys,
    }));
    return { workers, tasks: this.engine.countStates(), quarantined: [...this.quarantined] };
  }

  /** Stops the deadline timer (the scheduler is closing). */
  close(): void {
    this.deadlines.close();
  }

  // ---- worker messages ---------------------------------------------------------------------

  onWorkerMessage(conn: Conn, message: FromWorkerProcess): void {
    const process = this.processes.get(conn.id);
    if (process === undefined) return;
    process.lastSeen = Date.now();
    switch (message.type) {
      case 'results':
        return this.results(process, message.worker, message.results);
      case 'gathered': {
        const done = this.gathers.received(message.id, conn.id, message.values, message.missing);
        if (done !== undefined) this.answerGather(done.client, done.id, done.keys);
        return;
      }
      case 'heartbeat':
        process.memory = message.metrics.memory;
        process.bytesIn = message.metrics.bytesIn;
        process.bytesOut = message.metrics.bytesOut;
        process.spilled = message.metrics.spilled ?? 0;
        return;
      case 'relay-fetch':
      case 'relay-data':
        return this.relay(process, message);
      case 'put-done':
        return this.putDone(message.id);
      case 'thread-exit':
        if (!process.threads.includes(message.worker)) return;
        this.deadlines.clearWorker(message.worker);
        return this.step([
          {
            type: 'worker-removed',
            worker: message.worker,
            running: message.running === undefined ? [] : [message.running],
            reason: 'crashed',
          },
        ]);
      case 'thread-ready':
        if (!process.threads.includes(message.worker)) return;
        return this.step([
          {
            type: 'worker-added',
            worker: message.worker,
            nthreads: 1,
            host: conn.id,
            resources: process.info.resources,
          },
        ]);
      case 'signal': {
        // WebRTC signaling between browser workers: passed on as is, to worker processes only.
        const target = this.processes.get(message.to);
        if (target !== undefined && target !== process) {
          this.queue(target.conn, { type: 'signal', from: conn.id, data: message.data });
          this.flush();
        }
        return;
      }
    }
  }

  private results(
    process: WorkerProcessRecord,
    worker: string,
    results: Extract<FromWorkerProcess, { type: 'results' }>['results'],
  ): void {
    if (!process.threads.includes(worker)) return;
    const events: EngineEvent[] = [];
    const timed = this.deadlines.size > 0;
    for (const r of results) {
      const duration = (r.end - r.start) / 1000;
      if (timed) this.deadlines.clear(worker, r.key);
      if (r.error !== undefined)
        events.push({ type: 'task-erred', key: r.key, worker, error: r.error, duration });
      else if (r.missing !== undefined)
        events.push({ type: 'task-missing-data', key: r.key, worker, missing: r.missing });
      else {
        if (r.hasValue === true) this.values.set(r.key, { worker, value: r.value });
        const finished: EngineEvent = {
          type: 'task-finished',
          key: r.key,
          worker,
          nbytes: r.nbytes ?? 0,
          duration,
        };
        if (r.hash !== undefined) finished.hash = r.hash;
        events.push(finished);
      }
    }
    this.metrics.taskResults(results);
    this.notifyWatchers(worker, results);
    this.onResults?.(worker, results);
    this.step(events);
  }

  private relay(
    from: WorkerProcessRecord,
    message: Extract<FromWorkerProcess, { type: 'relay-fetch' | 'relay-data' }>,
  ): void {
    if (message.type === 'relay-fetch') {
      const target = this.threadProcess.get(message.to);
      if (target === undefined) {
        this.queue(from.conn, {
          type: 'relay-data',
          id: message.id,
          values: [],
          missing: message.keys,
        });
      } else {
        this.relays.ask(from.conn.id, message.id, target.conn.id, message.keys);
        this.queue(target.conn, {
          type: 'relay-fetch',
          id: message.id,
          from: from.conn.id,
          worker: message.to,
          keys: message.keys,
          move: message.move,
        });
      }
    } else {
      // Only the process asked may answer a relayed fetch, once.
      if (!this.relays.answer(message.to, message.id, from.conn.id)) return;
      const target = this.processes.get(message.to);
      if (target !== undefined)
        this.queue(target.conn, {
          type: 'relay-data',
          id: message.id,
          values: message.values,
          missing: message.missing,
        });
      this.metrics.count('relayed');
    }
    this.flush();
  }

  // ---- the engine step -----------------------------------------------------------------------

  /** Feeds events to the engine and carries out its instructions. */
  step(events: EngineEvent[]): void {
    for (const e of events) this.events.push(e);
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.events.length > 0) {
        const batch = this.events;
        this.events = [];
        const instructions = this.engine.handleMany(batch);
        this.apply(instructions);
        this.onStep?.(instructions, batch);
      }
    } finally {
      this.draining = false;
      this.values.clear();
    }
    this.flush();
  }

  private apply(instructions: Instruction[]): void {
    const runs = new Map<string, WireTask[]>();
    for (const ins of instructions) {
      switch (ins.type) {
        case 'execute': {
          const spec = ins.spec as WireSpec;
          const task: WireTask = {
            key: ins.key,
            fn: spec.fn,
            args: spec.args,
            marked: spec.marked,
            fetch: ins.fetch,
            report: ins.report ? 1 : 0,
            ...(ins.hash === true ? { hash: 1 as const } : {}),
          };
          if (ins.timeout !== undefined) this.deadlines.add(ins.worker, ins.key, ins.timeout);
          let list = runs.get(ins.worker);
          if (list === undefined) runs.set(ins.worker, (list = []));
          list.push(task);
          break;
        }
        case 'free-keys':
        case 'cancel-task': {
          const process = this.threadProcess.get(ins.worker);
          if (process === undefined) break;
          const keys = ins.type === 'free-keys' ? ins.keys : [ins.key];
          if (ins.type === 'cancel-task') this.deadlines.clear(ins.worker, ins.key);
          this.queue(process.conn, {
            type: ins.type === 'free-keys' ? 'free' : 'cancel',
            worker: ins.worker,
            keys,
          });
          break;
        }
        case 'report':
          this.report(ins);
          break;
        case 'quarantine':
          this.markQuarantined(ins);
          break;
      }
    }
    for (const [worker, tasks] of runs) {
      const process = this.threadProcess.get(worker);
      if (process !== undefined) this.queue(process.conn, { type: 'run', worker, tasks });
      this.metrics.count('tasksSent', tasks.length);
    }
  }

  private report(ins: Extract<Instruction, { type: 'report' }>): void {
    if (ins.client === KEEPER) {
      if (ins.state !== 'lost')
        this.events.push({ type: 'keys-released', client: KEEPER, keys: [ins.key] });
      return;
    }
    const client = this.clients.get(ins.client);
    if (client === undefined) return;
    if (ins.state === 'erred') {
      this.queue(client.conn, {
        type: 'report',
        key: ins.key,
        state: 'erred',
        error: asSerialized(ins.error),
        blame: ins.blame,
      });
    } else if (ins.state === 'lost') {
      this.queue(client.conn, { type: 'report', key: ins.key, state: 'lost' });
    } else {
      const message: ToClient & { value?: unknown; hasValue?: boolean } = {
        type: 'report',
        key: ins.key,
        state: 'memory',
        nbytes: ins.nbytes,
      };
      // Only the holder's own value: a replica that lost the vote sent one too.
      const sent = this.values.get(ins.key);
      if (sent !== undefined && sent.worker === ins.worker) {
        message.value = sent.value;
        message.hasValue = true;
      }
      this.queue(client.conn, message);
    }
  }

  // ---- untrusted workers ------------------------------------------------------------------------

  private markQuarantined(ins: Extract<Instruction, { type: 'quarantine' }>): void {
    for (const w of ins.workers) this.deadlines.clearWorker(w);
    const process = this.processes.get(ins.host);
    const name = process?.name ?? ins.host;
    const since = Date.now();
    if (process !== undefined) process.quarantined = { key: ins.key, reason: ins.reason, since };
    this.quarantined.push({
      name,
      host: process?.info.host ?? ins.host,
      workers: ins.workers,
      key: ins.key,
      reason: ins.reason,
      since,
    });
    if (this.quarantined.length > MAX_QUARANTINED) this.quarantined.shift();
    this.log(
      `bask scheduler: quarantined worker '${name}' (${ins.host}): ${ins.reason}; ` +
        'it gets no more tasks (restart it to clear this)',
    );
  }

  /** Runs past their timeouts: the engine moves them; their stuck threads are replaced. */
  private timedOut(expired: Expired[]): void {
    const events: EngineEvent[] = expired.map((e) => ({
      type: 'task-timed-out',
      key: e.key,
      worker: e.worker,
    }));
    for (const worker of new Set(expired.map((e) => e.worker))) {
      const process = this.threadProcess.get(worker);
      if (process === undefined) continue;
      this.deadlines.clearWorker(worker);
      const late = expired.find((e) => e.worker === worker) as Expired;
      events.push({ type: 'worker-removed', worker, reason: 'closed' });
      this.queue(process.conn, {
        type: 'restart',
        worker,
        reason: `task '${late.key}' ran past its ${late.timeout} ms timeout`,
      } satisfies ToWorkerProcess);
    }
    this.metrics.count('timeouts', expired.length);
    this.step(events);
  }

  // ---- output ---------------------------------------------------------------------------------

  private reply(conn: Conn, message: ToClient): void {
    this.queue(conn, message);
    this.flush();
  }

  /** Queues a message for a connection (sent at the next flush, in order). */
  queue(conn: Conn, message: unknown): void {
    let list = this.outbox.get(conn);
    if (list === undefined) this.outbox.set(conn, (list = []));
    list.push(message);
  }

  /** Sends everything queued, one frame per message, in order per connection. */
  flush(): void {
    if (this.draining || this.outbox.size === 0) return;
    for (const [conn, messages] of this.outbox) for (const m of messages) conn.send(m);
    this.outbox.clear();
  }
}

function asSerialized(error: unknown): SerializedError {
  if (
    error !== null &&
    typeof error === 'object' &&
    typeof (error as SerializedError).message === 'string' &&
    !(error instanceof Error)
  ) {
    return error as SerializedError;
  }
  return serializeError(error);
}
