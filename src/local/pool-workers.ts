/**
 * A pool's worker threads: starting them, linking each pair for direct data exchange,
 * replacing any that die, stopping them on purpose. What the workers say and when they come
 * and go is told to the pool's adapter (pool-adapter.ts) through `PoolWorkerEvents`.
 *
 * Invariants: a worker is in `workers` (and announced by `joined`) only once it is started and
 * linked to every other worker; a worker that dies is announced once, by `died`, and replaced;
 * one stopped on purpose (`stop`, `close`) is not a crash and is not announced.
 */
import { ThreadLink } from './thread-link.js';
import { BaskError } from '../errors.js';
import type { FromWorker } from '../wire/pool-protocol.js';
import type { PoolRuntime } from './runtime.js';
import { WorkerHandle } from './worker-handle.js';
import { RunningSlot, newRunningSlot } from '../worker/running-slot.js';

const MAX_START_FAILURES = 3;

/** What a pool hears from its workers. */
export interface PoolWorkerEvents {
  /** A message on a live worker's task port. */
  message(handle: WorkerHandle, message: FromWorker): void;
  /** A worker started and linked to every other one: the engine may use it. */
  joined(handle: WorkerHandle): void;
  /** A worker died (a replacement starts next): the key it was running, if any. */
  died(handle: WorkerHandle, running: string | undefined): void;
  /** Starting failed again and again with no worker left: nothing can run. */
  failing(error: unknown): void;
  /** Whether computations run now (a new worker then keeps the process alive). */
  busy(): boolean;
}

/** The worker threads of one pool. */
export class PoolWorkers {
  /** The live workers by id. */
  readonly workers = new Map<string, WorkerHandle>();
  private starting: Promise<void> | undefined;
  private closed = false;
  private spawnCount = 0;
  private startFailures = 0;

  constructor(
    private readonly runtime: PoolRuntime,
    /** How many workers the pool keeps running. */
    readonly numWorkers: number,
    private readonly prefix: string,
    private readonly events: PoolWorkerEvents,
  ) {}

  /** True once `close` was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Starts the workers (once); settles when all are linked. */
  start(): Promise<void> {
    this.starting ??= Promise.all(Array.from({ length: this.numWorkers }, () => this.spawn())).then(
      () => undefined,
    );
    return this.starting;
  }

  /** Starts one more worker (a replacement). */
  async spawn(): Promise<void> {
    const id = `${this.prefix}-${this.spawnCount++}`;
    const spawned = this.runtime.spawn(id);
    const { port1, port2 } = this.runtime.channel();
    const memory = newRunningSlot();
    const handle = new WorkerHandle(
      id,
      spawned,
      port1,
      (h, m) => this.events.message(h, m),
      memory === undefined ? undefined : new RunningSlot(memory),
    );
    const exited = new Promise<never>((_, reject) => {
      spawned.onExit((error) => {
        reject(
          new BaskError(
            'ERR_WORKER_CRASHED',
            `Pool worker '${id}' exited while starting: ${error?.message ?? 'no reason given'}`,
            { cause: error },
          ),
        );
        this.onWorkerExit(handle, error);
      });
    });
    exited.catch(() => undefined);
    try {
      await Promise.race([
        handle.link.init(port2, memory === undefined ? {} : { runningSlot: memory }),
        exited,
      ]);
      const others = [...this.workers.values()];
      this.workers.set(id, handle);
      await Promise.race([Promise.all(others.map((o) => this.link(handle, o))), exited]);
    } catch (error) {
      this.workers.delete(id);
      // Its start failed: whatever is left of it (a live process, its ports) is ended here.
      if (!handle.retired)
        this.retire(handle, error instanceof Error ? error : new Error(String(error)));
      if (++this.startFailures >= MAX_START_FAILURES && this.workers.size === 0) {
        this.events.failing(error);
      }
      throw error;
    }
    if (this.closed) {
      // The pool closed while this worker started: nothing will use it.
      this.workers.delete(id);
      if (!handle.retired) this.retire(handle, new BaskError('ERR_POOL_CLOSED', 'pool closed'));
      return;
    }
    if (!this.workers.has(id)) return;
    this.startFailures = 0;
    const busy = this.events.busy();
    handle.spawned.setActive(busy);
    if (!busy) port1.unref?.();
    this.events.joined(handle);
  }

  /** Links two workers for direct data exchange; done early when either exits meanwhile. */
  private async link(a: WorkerHandle, b: WorkerHandle): Promise<void> {
    // A link to a worker that exits just ends (`exited` resolves before the raced call rejects).
    await Promise.race([
      ThreadLink.connect(a.link, b.link, () => this.runtime.channel()),
      a.exited,
      b.exited,
    ]);
  }

  private onWorkerExit(handle: WorkerHandle, error: Error | undefined): void {
    if (this.closed || handle.retired || this.workers.get(handle.id) !== handle) return;
    this.workers.delete(handle.id);
    const running = handle.running();
    handle.dispose(
      new BaskError('ERR_WORKER_CRASHED', `Pool worker '${handle.id}' died`, { cause: error }),
    );
    this.disconnectPeers(handle.id);
    this.events.died(handle, running);
    this.spawn().catch(() => undefined);
  }

  /** Ends a worker on purpose (close, timeout): its exit is not a crash. */
  private retire(handle: WorkerHandle, reason: Error): void {
    handle.retired = true;
    handle.spawned.terminate();
    handle.dispose(reason);
    if (!this.closed) this.disconnectPeers(handle.id);
  }

  private disconnectPeers(id: string): void {
    for (const other of this.workers.values()) {
      if (!other.retired) other.remote.disconnect(id).catch(() => undefined);
    }
  }

  /** Lets idle workers stop holding the process open, or makes busy ones hold it. */
  setActive(active: boolean): void {
    for (const h of this.workers.values()) {
      h.spawned.setActive(active);
      if (active) h.taskPort.ref?.();
      else h.taskPort.unref?.();
    }
  }

  /** Stops a worker on purpose (a task ran past its timeout): it leaves the pool, not replaced. */
  stop(handle: WorkerHandle, reason: Error): void {
    this.workers.delete(handle.id);
    this.retire(handle, reason);
  }

  /** Stops every worker; settles once the start in progress, if any, has. */
  async close(): Promise<void> {
    this.closed = true;
    for (const h of this.workers.values())
      this.retire(h, new BaskError('ERR_POOL_CLOSED', 'pool closed'));
    this.workers.clear();
    await this.starting?.catch(() => undefined);
  }
}
