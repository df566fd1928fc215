/**
 * The threads of a `bask worker` process: worker_threads running the same worker entry as the
 * local pool, linked to each other by MessageChannels so that data moves between threads of
 * one process directly. Each thread is its control link (src/local/thread-link.ts: every call
 * raced against its exit) and its task port (src/local/thread-port.ts: the queue that keeps a
 * task behind the data put in for it, and the gathers in flight).
 */
import { nodeRuntime } from '../../src/local/runtime-node.js';
import { ThreadLink } from '../../src/local/thread-link.js';
import { ThreadPort } from '../../src/local/thread-port.js';
import { RunningSlot, newRunningSlot } from '../../src/worker/running-slot.js';
import type { TaskResult, WorkerInitOptions } from '../../src/wire/pool-protocol.js';

export type { RawValues } from '../../src/local/thread-port.js';

/** One worker thread, seen from its process: its control link and its task port. */
export class ThreadHandle {
  private constructor(
    readonly control: ThreadLink,
    readonly port: ThreadPort,
  ) {}

  /** The thread's id at the scheduler. */
  get id(): string {
    return this.control.id;
  }

  /**
   * Spawns and starts a thread; results above `reportLimit` bytes stay in the thread. Rejects
   * with ERR_WORKER_CRASHED when the thread dies while starting.
   */
  static async start(
    id: string,
    options: WorkerInitOptions,
    onResults: (thread: ThreadHandle, results: TaskResult[]) => void,
  ): Promise<ThreadHandle> {
    const control = new ThreadLink(id, nodeRuntime.spawn(id));
    const { port1, port2 } = nodeRuntime.channel();
    const memory = newRunningSlot();
    const port = new ThreadPort(id, port1, {
      onResults: (_port, results) => onResults(thread, results),
      // Tasks come decoded from the scheduler's frames: their bytes are this process's own.
      transferArgs: true,
      ...(memory === undefined ? {} : { slot: new RunningSlot(memory) }),
    });
    const thread = new ThreadHandle(control, port);
    await control.init(port2, memory === undefined ? options : { ...options, runningSlot: memory });
    return thread;
  }

  /**
   * Links two threads of this process for direct data exchange. Rejects with
   * ERR_WORKER_CRASHED when either exits meanwhile (the replacement of the dead one links again).
   */
  static link(a: ThreadHandle, b: ThreadHandle): Promise<void> {
    return ThreadLink.connect(a.control, b.control, () => nodeRuntime.channel());
  }

  /** Stops the thread; pending gathers resolve as missing. */
  stop(): void {
    this.port.stop();
    this.control.terminate();
  }

  /** Lets the process exit when nothing else holds it. */
  setActive(active: boolean): void {
    this.control.spawned.setActive(active);
    this.port.setActive(active);
  }
}
