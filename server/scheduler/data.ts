/**
 * Data a client moves in and out of the cluster: gathers (results fetched from the threads
 * that hold them, grouped per holder by the driver's `groupByHolder`) and scatters (values
 * placed on threads by the engine's `placeScatter` policy).
 *
 * Invariants: a scatter's values reach their worker processes first; only when each has
 * acknowledged its part does the engine learn the data exists (so no task fetches data still
 * on its way), and the client's later messages wait behind it (holds.ts). A gather is answered
 * once every process asked has answered or left.
 */
import { groupByHolder, type Driver } from '../../src/engine/driver.js';
import type { Engine } from '../../src/engine/engine.js';
import { matchesWorker, placeScatter } from '../../src/engine/policy.js';
import type { EngineEvent } from '../../src/engine/types.js';
import { BaskError, serializeError } from '../../src/errors.js';
import type { ClientMessage, ToClient, ToWorkerProcess } from '../../src/wire/protocol.js';
import { Gathers } from './gathers.js';
import { CLOSE } from './guard.js';
import { ClientHolds } from './holds.js';
import type { Metrics } from './metrics.js';
import type { Conn, Outbox } from './outbox.js';
import type { WorkerProcesses } from './processes.js';
import { Puts } from './puts.js';

/** What gathers and scatters reach of the cluster (all of it owned by the cluster). */
export interface DataIo {
  readonly driver: Driver<Engine>;
  readonly processes: WorkerProcesses;
  readonly clients: ReadonlyMap<string, { conn: Conn }>;
  readonly outbox: Outbox;
  readonly metrics: Metrics;
  /** Queues a message to a client and flushes. */
  reply(conn: Conn, message: ToClient): void;
  /** Sends what is queued (unless the engine is mid-step). */
  flush(): void;
  /** Handles a client message that waited behind a scatter. */
  onClientMessage(conn: Conn, message: ClientMessage): void;
}

/** Gathers and scatters in flight. */
export class ClusterData {
  /** Messages of clients whose scatter is in flight. */
  readonly holds = new ClientHolds<ClientMessage>();
  private readonly gathers = new Gathers();
  private readonly puts = new Puts<Conn>();
  private scatterCount = 0;

  constructor(private readonly io: DataIo) {}

  /** A client's gather: each holder's process is asked for its keys. */
  gather(conn: Conn, id: number, keys: string[]): void {
    const { processes, outbox } = this.io;
    const { groups, missing } = groupByHolder(
      this.io.driver.engine.tasks,
      keys,
      (w) => processes.ofThread(w) !== undefined,
    );
    const gather = this.gathers.start(conn.id, id, keys, missing);
    for (const [worker, list] of groups) {
      const process = processes.ofThread(worker);
      if (process === undefined) continue;
      const gid = this.gathers.part(gather, process.conn.id, list);
      outbox.queue(process.conn, {
        type: 'gather',
        id: gid,
        worker,
        keys: list,
      } satisfies ToWorkerProcess);
    }
    if (this.gathers.isComplete(gather)) this.answerGather(conn.id, id, keys);
    this.io.flush();
  }

  /** A process's part of a gather. */
  gathered(connId: string, message: { id: number; values: unknown[]; missing: string[] }): void {
    const done = this.gathers.received(message.id, connId, message.values, message.missing);
    if (done !== undefined) this.answerGather(done.client, done.id, done.keys);
  }

  private answerGather(clientId: string, id: number, keys: string[]): void {
    const client = this.io.clients.get(clientId);
    const done = this.gathers.finish(clientId, id);
    if (client === undefined || done === undefined) return;
    this.io.metrics.count('gathers');
    this.io.reply(client.conn, {
      type: 'gathered',
      id,
      keys,
      values: done.values,
      missing: done.missing,
    });
  }

  /** A client's scatter: values go to processes; the engine hears when all acknowledged. */
  scatter(conn: Conn, message: Extract<ClientMessage, { type: 'scatter' }>): void {
    const { processes, outbox } = this.io;
    const threads = [...processes.threads()].flatMap(([t, p]) =>
      p.quarantined === undefined &&
      (message.workers === undefined || message.workers.some((w) => matchesWorker(w, t)))
        ? [t]
        : [],
    );
    if (threads.length === 0) {
      const error = new BaskError(
        'ERR_NO_WORKERS',
        'No workers to scatter to: start some with `bask worker ADDRESS`',
      );
      this.io.reply(conn, { type: 'scattered', id: message.id, error: serializeError(error) });
      return;
    }
    if (message.keys.length === 0) {
      this.io.reply(conn, { type: 'scattered', id: message.id });
      return;
    }
    const events: EngineEvent[] = [];
    const part = this.puts.start({ conn, id: message.id, events });
    this.holds.hold(conn.id);
    const broadcast = message.broadcast === true;
    const placed = placeScatter(message.keys.length, threads, broadcast, this.scatterCount);
    this.scatterCount = placed.next;
    message.keys.forEach((key, i) => {
      for (const worker of placed.targets[i] as readonly string[]) {
        const process = processes.ofThread(worker);
        if (process === undefined) continue;
        const values = [message.values[i]];
        outbox.queue(process.conn, {
          type: 'put',
          id: part(process.conn.id),
          worker,
          keys: [key],
          values,
        });
        events.push({ type: 'data-scattered', client: conn.id, key, worker, nbytes: 0 });
      }
    });
    this.io.flush();
  }

  /** A process stored its part of a scatter. */
  putDone(id: number): void {
    const pending = this.puts.done(id);
    if (pending === undefined) return;
    // Workers that left meanwhile are skipped: the engine only knows live workers.
    const { processes } = this.io;
    this.io.driver.submit(
      pending.events.filter(
        (e) => e.type !== 'data-scattered' || processes.ofThread(e.worker) !== undefined,
      ),
    );
    this.io.reply(pending.conn, { type: 'scattered', id: pending.id });
    if (this.io.clients.has(pending.conn.id)) this.releaseHeld(pending.conn);
  }

  /** A client left: its held messages and gathers go. */
  dropClient(connId: string): void {
    this.holds.drop(connId);
    this.gathers.dropClient(connId);
  }

  /** A process left: gathers and scatters waiting on it settle without its part. */
  dropProcess(connId: string): void {
    this.gathers.dropWorker(connId, (clientId, id, keys) => this.answerGather(clientId, id, keys));
    for (const put of this.puts.sentTo(connId)) this.putDone(put);
  }

  /** Runs a client's messages held behind its scatter; one breaking the rules closes it. */
  private releaseHeld(conn: Conn): void {
    this.holds.release(conn.id, (message) => {
      try {
        this.io.onClientMessage(conn, message);
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
}
