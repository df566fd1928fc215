/**
 * The cluster's adapter to the driver shell (src/engine/driver.ts): the engine's instructions
 * become messages to worker processes and clients. Tasks for a thread are batched into one
 * `run` message per step, and a client's reports into one `reports` message per step; frees
 * and cancels go out as they come; reports carry the value the holder sent with its
 * completion, when it sent one; a quarantine is recorded and logged.
 *
 * Values stay opaque here: task specs and results travel as encoded by the sender (markers
 * for refs and registered types), so the scheduler never runs or imports user code.
 *
 * Placement in slices: the engine places at most {@link PLACEMENTS_PER_STEP} tasks per step;
 * when a step left more placeable (a 100,000-task submission to 10,000 volunteers), the rest
 * is placed on the next turns of the event loop (`setImmediate`, one slice each), so pings,
 * heartbeats and other clients are served in between. Order is the engine's queue order
 * either way; only the moment a task is sent moves.
 *
 * Invariants: a run's deadline starts when its task is sent (deadlines.ts); messages queued
 * during a drain are flushed once it is over (outbox.ts); at most one resume is pending, and
 * `close` cancels it.
 */
import {
  Driver,
  type CancelTask,
  type DriverAdapter,
  type Execute,
  type FreeKeys,
  type Quarantine,
  type Report,
} from '../../src/engine/driver.js';
import type { Engine } from '../../src/engine/engine.js';
import type { EngineEvent, Instruction } from '../../src/engine/types.js';
import { serializeError, type SerializedError } from '../../src/errors.js';
import { wireTask, type WireTask } from '../../src/wire/pool-protocol.js';
import type { KeyReport, ToClient, WireSpec } from '../../src/wire/protocol.js';
import type { Deadlines } from './deadlines.js';
import type { Metrics } from './metrics.js';
import type { Conn, Outbox } from './outbox.js';
import type { WorkerProcesses } from './processes.js';
import type { QuarantineRegistry } from './quarantine.js';
import { holdersOf } from './holders.js';

/** The client the scheduler itself wants keys for (`keep`): released as soon as reported. */
export const KEEPER = '\u0000keeper';

/**
 * Tasks the cluster's engine places per step (and so per turn of the event loop): a slice of
 * ~10-20 ms of scheduler CPU with its run messages (bench/load-step.ts).
 */
export const PLACEMENTS_PER_STEP = 1000;

/** What the adapter reaches of the cluster (all of it owned by the cluster). */
export interface ClusterIo {
  readonly processes: WorkerProcesses;
  readonly clients: ReadonlyMap<string, { conn: Conn }>;
  readonly outbox: Outbox;
  readonly deadlines: Deadlines;
  readonly metrics: Metrics;
  readonly quarantine: QuarantineRegistry;
  /** Where an operator hears of a quarantine. */
  log(line: string): void;
  /** After each engine step (dashboards listen). */
  stepped(instructions: readonly Instruction[], events: readonly EngineEvent[]): void;
  /** A client heard of a key it wanted (the client caps count it done). */
  reported(client: string, key: string): void;
}

/** Carries out the cluster engine's instructions. */
export class ClusterAdapter implements DriverAdapter {
  readonly driver: Driver<Engine>;
  /** This step's tasks by thread. */
  private runs = new Map<string, WireTask[]>();
  /** This step's reports by client connection. */
  private reports = new Map<Conn, KeyReport[]>();
  /** The pending turn that places the next slice, if any. */
  private resume: NodeJS.Immediate | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly io: ClusterIo,
  ) {
    this.driver = new Driver(engine, this);
  }

  /** Cancels a pending slice (the cluster is closing). */
  close(): void {
    if (this.resume !== undefined) clearImmediate(this.resume);
    this.resume = undefined;
  }

  execute(ins: Execute): void {
    const spec = ins.spec as WireSpec;
    const task = wireTask(ins.key, spec, ins.fetch, ins.report ? 1 : 0, ins.hash === true);
    if (ins.timeout !== undefined) this.io.deadlines.add(ins.worker, ins.key, ins.timeout);
    const list = this.runs.get(ins.worker);
    if (list === undefined) this.runs.set(ins.worker, [task]);
    else list.push(task);
  }

  freeKeys(ins: FreeKeys): void {
    const process = this.io.processes.ofThread(ins.worker);
    if (process === undefined) return;
    this.io.outbox.queue(process.conn, { type: 'free', worker: ins.worker, keys: ins.keys });
  }

  cancelTask(ins: CancelTask): void {
    const process = this.io.processes.ofThread(ins.worker);
    if (process === undefined) return;
    this.io.deadlines.clear(ins.worker, ins.key);
    this.io.outbox.queue(process.conn, { type: 'cancel', worker: ins.worker, keys: [ins.key] });
  }

  report(ins: Report): void {
    if (ins.client === KEEPER) {
      if (ins.state !== 'lost')
        this.driver.queue({ type: 'keys-released', client: KEEPER, keys: [ins.key] });
      return;
    }
    const client = this.io.clients.get(ins.client);
    if (client === undefined) return;
    this.io.reported(ins.client, ins.key);
    let message: KeyReport & { value?: unknown; hasValue?: boolean };
    if (ins.state === 'erred') {
      const error = asSerialized(ins.error);
      message = { type: 'report', key: ins.key, state: 'erred', error, blame: ins.blame };
    } else if (ins.state === 'lost') {
      message = { type: 'report', key: ins.key, state: 'lost' };
    } else {
      message = { type: 'report', key: ins.key, state: 'memory', nbytes: ins.nbytes };
      // Only the holder's own value: a replica that lost the vote sent one too.
      const sent = this.driver.sentValue(ins.key, ins.worker);
      if (sent !== undefined) {
        message.value = sent.value;
        message.hasValue = true;
      }
    }
    const list = this.reports.get(client.conn);
    if (list === undefined) this.reports.set(client.conn, [message]);
    else list.push(message);
  }

  quarantine(ins: Quarantine): void {
    for (const w of ins.workers) this.io.deadlines.clearWorker(w);
    this.io.log(this.io.quarantine.mark(ins, this.io.processes.byConn.get(ins.host)));
  }

  /** Sends this step's runs, one message per thread. */
  stepped(instructions: readonly Instruction[], events: readonly EngineEvent[]): void {
    if (this.runs.size > 0) {
      const runs = this.runs;
      this.runs = new Map();
      for (const [worker, tasks] of runs) {
        const process = this.io.processes.ofThread(worker);
        if (process !== undefined) {
          const holders = holdersOf(this.io.processes, process, tasks);
          this.io.outbox.queue(
            process.conn,
            holders === undefined
              ? { type: 'run', worker, tasks }
              : { type: 'run', worker, tasks, holders },
          );
        }
        this.io.metrics.count('tasksSent', tasks.length);
      }
    }
    if (this.reports.size > 0) {
      const reports = this.reports;
      this.reports = new Map();
      for (const [conn, list] of reports)
        this.io.outbox.queue(
          conn,
          list.length === 1 ? list[0] : ({ type: 'reports', reports: list } satisfies ToClient),
        );
    }
    this.io.stepped(instructions, events);
  }

  drained(): void {
    this.io.outbox.flush();
    if (this.engine.hasDeferredPlacement && this.resume === undefined) {
      this.resume = setImmediate(() => {
        this.resume = undefined;
        this.driver.submit([{ type: 'placement-resumed' }]);
      });
    }
  }
}

/** An engine error as a client reads it (already serialized when it came from a worker). */
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
