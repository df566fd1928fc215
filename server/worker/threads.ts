/**
 * The threads of a `bask worker` process: worker_threads running the same worker entry as the
 * local pool, linked to each other by MessageChannels so that data moves between threads of
 * one process directly. The process's main thread talks to each over its task port.
 *
 * Every message to a thread goes through that thread's queue (`enqueue`), so that a task never
 * overtakes the data put in for it while remote inputs are still being fetched.
 */
import * as Comlink from 'comlink';
import { nodeRuntime } from '../../src/local/runtime-node.js';
import { RunningSlot, newRunningSlot } from '../../src/worker/running-slot.js';
import type { MainPort, SpawnedWorker } from '../../src/local/runtime.js';
import type {
  FromWorker,
  TaskResult,
  ToWorker,
  WorkerApi,
  WorkerInitOptions,
} from '../../src/wire/pool-protocol.js';

/** Raw (still encoded) values from a thread. */
export interface RawValues {
  values: unknown[];
  missing: string[];
}

/** One worker thread, seen from its process. */
export class ThreadHandle {
  readonly remote: Comlink.Remote<WorkerApi>;
  private readonly gathers = new Map<
    number,
    { keys: string[]; resolve: (values: RawValues) => void }
  >();
  private nextGather = 1;
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  /** Tasks sent and not answered, in run order (what a crash blames without a slot). */
  private readonly inflight = new Set<string>();
  /** Resolves when the thread has exited. */
  readonly exited: Promise<void>;

  private constructor(
    readonly id: string,
    readonly spawned: SpawnedWorker,
    private readonly port: MainPort,
    onResults: (thread: ThreadHandle, results: TaskResult[]) => void,
    private readonly slot: RunningSlot | undefined,
  ) {
    this.remote = Comlink.wrap<WorkerApi>(spawned.endpoint);
    this.exited = new Promise((resolve) => spawned.onExit(() => resolve()));
    port.addEventListener('message', (event: MessageEvent) => {
      const message = event.data as FromWorker;
      if (message.type === 'results') {
        for (const r of message.results) this.inflight.delete(r.key);
        onResults(this, message.results);
      } else if (message.type === 'gathered') {
        const gather = this.gathers.get(message.id);
        this.gathers.delete(message.id);
        gather?.resolve({ values: message.values, missing: message.missing });
      }
    });
    port.start?.();
  }

  /** Spawns and starts a thread; results above `reportLimit` bytes stay in the thread. */
  static async start(
    id: string,
    options: WorkerInitOptions,
    onResults: (thread: ThreadHandle, results: TaskResult[]) => void,
  ): Promise<ThreadHandle> {
    const spawned = nodeRuntime.spawn(id);
    const { port1, port2 } = nodeRuntime.channel();
    const memory = newRunningSlot();
    const slot = memory === undefined ? undefined : new RunningSlot(memory);
    const thread = new ThreadHandle(id, spawned, port1, onResults, slot);
    const started = thread.remote.init(
      id,
      Comlink.transfer(port2 as unknown as MessagePort, [port2 as unknown as Transferable]),
      memory === undefined ? options : { ...options, runningSlot: memory },
    );
    // Comlink never settles a call to a thread that exits: race it against the exit.
    await untilExit(started, [thread], `thread ${id} exited while starting`);
    return thread;
  }

  /**
   * Links two threads of this process for direct data exchange. Rejects when either exits
   * meanwhile (the replacement of the dead one links again).
   */
  static async link(a: ThreadHandle, b: ThreadHandle): Promise<void> {
    const { port1, port2 } = nodeRuntime.channel();
    const linked = Promise.all([
      a.remote.connect(
        b.id,
        Comlink.transfer(port1 as unknown as MessagePort, [port1 as unknown as Transferable]),
      ),
      b.remote.connect(
        a.id,
        Comlink.transfer(port2 as unknown as MessagePort, [port2 as unknown as Transferable]),
      ),
    ]);
    await untilExit(linked, [a, b], `thread ${a.id} or ${b.id} exited while linking`);
  }

  /** Sends a message after everything queued before it (`before` runs first, e.g. a fetch). */
  enqueue(message: ToWorker, before?: () => Promise<void>): void {
    if (message.type === 'batch') {
      for (const key of message.cancel) this.inflight.delete(key);
      for (const task of message.run) this.inflight.add(task.key);
    }
    if (before === undefined && this.pending === 0) {
      this.port.postMessage(message);
      return;
    }
    this.pending++;
    this.chain = this.chain
      .then(before ?? (() => undefined))
      .catch(() => undefined)
      .then(() => {
        this.pending--;
        this.port.postMessage(message);
      });
  }

  /** Posts a message now, ahead of anything still queued (gathers, and data a batch waits for). */
  post(message: ToWorker): void {
    this.port.postMessage(message);
  }

  /** The task running now, if any (the slot's word; else the oldest unanswered). */
  running(): string | undefined {
    const reading = this.slot?.read() ?? { state: 'unknown' };
    if (reading.state === 'idle') return undefined;
    if (reading.state === 'running')
      return this.inflight.has(reading.key) ? reading.key : undefined;
    return this.inflight.values().next().value;
  }

  /** Values held by the thread, still encoded (to forward to another process). */
  gather(keys: string[], move: boolean): Promise<RawValues> {
    const id = this.nextGather++;
    return new Promise((resolve) => {
      this.gathers.set(id, { keys, resolve });
      // Straight to the thread, never behind queued batches: a batch may be waiting for data
      // from another process whose own batch waits for this gather (a three-way deadlock).
      // Only finished results are gathered, so nothing queued can produce what it asks for.
      this.post({ type: 'gather', id, keys, move });
    });
  }

  /** Stops the thread; pending gathers resolve as missing. */
  stop(): void {
    for (const [id, gather] of this.gathers) {
      this.gathers.delete(id);
      gather.resolve({ values: gather.keys.map(() => undefined), missing: gather.keys });
    }
    this.spawned.terminate();
  }

  /** Lets the process exit when nothing else holds it. */
  setActive(active: boolean): void {
    this.spawned.setActive(active);
    if (active) this.port.ref?.();
    else this.port.unref?.();
  }
}

/** `promise`, or a rejection as soon as one of `threads` exits. */
async function untilExit<T>(promise: Promise<T>, threads: ThreadHandle[], why: string): Promise<T> {
  return Promise.race([
    promise,
    ...threads.map((t) =>
      t.exited.then((): never => {
        throw new Error(why);
      }),
    ),
  ]);
}
