/**
 * The cluster scheduler's core: the engine driven by connections. Clients submit graphs and
 * gather results; worker processes register their threads (one engine worker each, the
 * process as their host) and run what they are sent. This file turns messages into engine
 * events (the driver shell runs the engine; adapter.ts turns its instructions into messages);
 * sockets, HTTP and timers live in `server.ts`. Gathers and scatters are in data.ts, worker
 * processes in processes.ts, task modules in modules.ts, quarantines in quarantine.ts.
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
import { holdersOf } from '../../src/engine/driver.js';
import { Engine } from '../../src/engine/engine.js';
import type { EngineEvent, Instruction } from '../../src/engine/types.js';
import { serializeError, type SerializedError } from '../../src/errors.js';
import type { TaskResult } from '../../src/wire/pool-protocol.js';
import type {
  ClientMessage,
  ClusterInfo,
  FromWorkerProcess,
  SubmitPart,
  Hello,
  ToClient,
  ToWorkerProcess,
} from '../../src/wire/protocol.js';
import { ClusterAdapter, PLACEMENTS_PER_STEP } from './adapter.js';
import { ClusterData } from './data.js';
import { Deadlines, type Expired } from './deadlines.js';
import { Metrics } from './metrics.js';
import { ModuleStore } from './modules.js';
import { Outbox, type Conn } from './outbox.js';
import {
  WorkerProcesses,
  applyHeartbeat,
  pausedOnJoin,
  type WorkerProcessRecord,
} from './processes.js';
import { QuarantineRegistry } from './quarantine.js';
import { Relays, routeRelay, type RelayIo } from './relays.js';
import { relaySignal } from './signals.js';
import { ClientLimits } from './limits.js';
import { keepEvent, submitParts } from './submissions.js';
import { TaskWatchers } from './watchers.js';

export type { Conn } from './outbox.js';
export type { WorkerProcessRecord } from './processes.js';

/** The engine plus the cluster's connections. */
export class Cluster {
  readonly engine = new Engine({
    policy: { bandwidth: 100e6 },
    replicate: true,
    placementsPerStep: PLACEMENTS_PER_STEP,
  });
  readonly clients = new Map<string, { conn: Conn; name: string; joined: number }>();
  readonly modules = new ModuleStore();
  readonly metrics = new Metrics();
  /** Per-client caps (`--max-graph-size`, `--max-tasks-in-flight`); none by default. */
  limits = new ClientLimits();
  private readonly workerProcesses = new WorkerProcesses();
  /** Registered worker processes by connection id. */
  readonly processes: ReadonlyMap<string, WorkerProcessRecord> = this.workerProcesses.byConn;
  /** Relayed fetches in flight: `requester:id` -> the process asked, and the keys. */
  private readonly relays = new Relays();
  private readonly outbox = new Outbox();
  private readonly deadlines = new Deadlines((expired) => this.timedOut(expired));
  private readonly quarantine = new QuarantineRegistry();
  private readonly watchers = new TaskWatchers();
  private readonly relayIo: RelayIo = {
    processes: this.workerProcesses,
    outbox: this.outbox,
    metrics: this.metrics,
  };
  private readonly adapter = new ClusterAdapter(this.engine, {
    processes: this.workerProcesses,
    clients: this.clients,
    outbox: this.outbox,
    deadlines: this.deadlines,
    metrics: this.metrics,
    quarantine: this.quarantine,
    log: (line) => this.log(line),
    stepped: (instructions, events) => this.onStep?.(instructions, events),
    reported: (client, key) => {
      if (this.limits.isActive) this.limits.settle(client, [key]);
    },
  });
  private readonly driver = this.adapter.driver;
  private readonly data = new ClusterData({
    driver: this.driver,
    processes: this.workerProcesses,
    clients: this.clients,
    outbox: this.outbox,
    metrics: this.metrics,
    reply: (conn, message) => this.reply(conn, message),
    flush: () => this.flush(),
    onClientMessage: (conn, message) => this.onClientMessage(conn, message),
  });
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
    this.limits.remove(conn.id);
    this.data.dropClient(conn.id);
    this.watchers.forget(conn.id);
    this.step([{ type: 'client-removed', client: conn.id }]);
  }

  /**
   * Registers a worker process; returns its thread ids. Other processes hear nothing of it:
   * where to fetch its data comes with the runs that need it (holders.ts).
   */
  addWorkerProcess(conn: Conn, hello: Hello): string[] {
    // Threads join the engine when the process says each is ready ('thread-ready').
    return [...this.workerProcesses.add(conn, hello).threads];
  }

  removeWorkerProcess(conn: Conn, reason: 'crashed' | 'closed'): void {
    const record = this.workerProcesses.remove(conn.id);
    if (record === undefined) return;
    for (const t of record.threads) this.deadlines.clearWorker(t);
    // Gathers and scatters waiting on this process settle now (its part is simply not there).
    this.data.dropProcess(conn.id);
    // Relayed fetches it was asked for come back missing; those it asked are forgotten.
    this.relays.dropProcess(conn.id, (requester, id, keys) => {
      const waiting = this.processes.get(requester);
      if (waiting !== undefined)
        this.queue(waiting.conn, { type: 'relay-data', id, values: [], missing: keys });
    });
    this.step(record.threads.map((worker) => ({ type: 'worker-removed', worker, reason })));
  }

  // ---- client messages ------------------------------------------------------------------------

  onClientMessage(conn: Conn, message: ClientMessage): void {
    // Behind a scatter in flight, a client's messages wait (they may use its data).
    if (this.data.holds.queue(conn.id, message)) return;
    switch (message.type) {
      case 'submit':
        return this.submit(conn, message.id, [message], false);
      case 'submits':
        return this.submit(conn, message.id, message.parts, true);
      case 'release':
        this.limits.settle(conn.id, message.keys);
        return this.step([{ type: 'keys-released', client: conn.id, keys: message.keys }]);
      case 'cancel':
        this.limits.settle(conn.id, message.keys);
        return this.step([{ type: 'keys-cancelled', client: conn.id, keys: message.keys }]);
      case 'retry':
        return this.step([{ type: 'keys-retried', client: conn.id, keys: message.keys }]);
      case 'keep':
        return this.keep(message.keys);
      case 'gather':
        return this.data.gather(conn, message.id, message.keys);
      case 'scatter':
        return this.data.scatter(conn, message);
      case 'module':
        return this.modules.put(message.url, message.code);
      case 'who-has':
        return this.reply(conn, {
          type: 'answer',
          id: message.id,
          value: Object.fromEntries(holdersOf(this.engine.tasks, message.keys)),
        });
      case 'info':
        return this.reply(conn, { type: 'answer', id: message.id, value: this.info() });
      case 'ping':
        return this.reply(conn, { type: 'pong', id: message.id });
    }
  }

  /**
   * A `submit` (one submission) or a `submits` (a client's tick of them), in one engine step;
   * answered by one `submitted` naming what was refused.
   */
  private submit(conn: Conn, id: number, parts: readonly SubmitPart[], batched: boolean): void {
    this.metrics.count('submitMessages');
    const context = {
      tasks: this.engine.tasks,
      limits: this.limits,
      metrics: this.metrics,
      watchers: this.watchers,
      step: (events: EngineEvent[]) => this.step(events),
    };
    const errors = submitParts(context, conn.id, parts);
    if (!batched) {
      const error = errors[0];
      return this.reply(
        conn,
        error === undefined
          ? { type: 'submitted', id }
          : { type: 'submitted', id, error: serializeError(error) },
      );
    }
    const failed: { index: number; error: SerializedError }[] = [];
    errors.forEach((error, index) => {
      if (error !== undefined) failed.push({ index, error: serializeError(error) });
    });
    this.reply(
      conn,
      failed.length === 0 ? { type: 'submitted', id } : { type: 'submitted', id, failed },
    );
  }

  /** Queues task events for the clients watching these tasks. */
  private notifyWatchers(worker: string, results: readonly TaskResult[]): void {
    for (const [client, events] of this.watchers.events(worker, results)) {
      const c = this.clients.get(client);
      if (c !== undefined) this.queue(c.conn, { type: 'task-events', events });
    }
  }

  private keep(keys: readonly string[]): void {
    const event = keepEvent(this.engine.tasks, keys);
    if (event !== undefined) this.step([event]);
  }

  /** The workers holding each key the engine knows (unknown keys are left out). */
  /** Workers, task states and quarantined processes (client.info(), /api/info). */
  info(): ClusterInfo {
    const workers = [...this.engine.workers.values()].map((w) => ({
      id: w.id,
      nthreads: w.nthreads,
      host: this.workerProcesses.ofThread(w.id)?.info.host ?? w.host,
      memory: this.workerProcesses.ofThread(w.id)?.memory ?? 0,
      keys: w.nkeys,
    }));
    return { workers, tasks: this.engine.countStates(), quarantined: this.quarantine.all() };
  }

  /** Stops the deadline timer (the scheduler is closing). */
  close(): void {
    this.deadlines.close();
    this.adapter.close();
  }

  // ---- worker messages ---------------------------------------------------------------------

  onWorkerMessage(conn: Conn, message: FromWorkerProcess): void {
    const process = this.processes.get(conn.id);
    if (process === undefined) return;
    process.lastSeen = Date.now();
    switch (message.type) {
      case 'results':
        return this.results(process, message.worker, message.results);
      case 'gathered':
        return this.data.gathered(conn.id, message);
      case 'heartbeat': {
        const change = applyHeartbeat(process, message.metrics);
        for (const c of change.counters) this.metrics.count(c);
        return change.events.length > 0 ? this.step(change.events) : undefined;
      }
      case 'relay-fetch':
      case 'relay-data':
        routeRelay(this.relays, this.relayIo, process, message);
        return this.flush();
      case 'put-done':
        return this.data.putDone(message.id);
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
          ...pausedOnJoin(process, message.worker),
        ]);
      case 'signal':
        if (relaySignal(this.workerProcesses, this.outbox, process, message)) this.flush();
        return;
    }
  }

  private results(process: WorkerProcessRecord, worker: string, results: TaskResult[]): void {
    if (!process.threads.includes(worker)) return;
    if (this.deadlines.size > 0) for (const r of results) this.deadlines.clear(worker, r.key);
    this.driver.queueResults(worker, results);
    this.metrics.taskResults(results);
    this.notifyWatchers(worker, results);
    this.onResults?.(worker, results);
    this.step([]);
  }

  // ---- the engine step -----------------------------------------------------------------------

  /** Feeds events to the engine and carries out its instructions (the driver's drain). */
  step(events: EngineEvent[]): void {
    this.driver.submit(events);
  }

  /** Runs past their timeouts: the engine moves them; their stuck threads are replaced. */
  private timedOut(expired: Expired[]): void {
    const events: EngineEvent[] = expired.map((e) => ({
      type: 'task-timed-out',
      key: e.key,
      worker: e.worker,
    }));
    for (const worker of new Set(expired.map((e) => e.worker))) {
      const process = this.workerProcesses.ofThread(worker);
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
    this.outbox.queue(conn, message);
  }

  /** Sends everything queued, one frame per message, in order per connection. */
  flush(): void {
    if (!this.driver.isDraining) this.outbox.flush();
  }

  /**
   * From now on, what is queued goes out once per turn of the event loop, through `defer`
   * (the server passes setImmediate; tests that step the cluster by hand leave it off).
   */
  deferSends(defer: (send: () => void) => void): void {
    this.outbox.defer = defer;
  }

  /** Sends everything queued now (before a connection is closed). */
  flushNow(): void {
    this.outbox.flushNow();
  }
}
