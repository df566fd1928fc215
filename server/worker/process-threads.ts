/**
 * The threads of one `bask worker` process and what the scheduler asks of them: start and link
 * them, and replace a thread that died or got stuck. What they hold and how their data moves
 * (run batches with inputs fetched and put in first, free, cancel, put, serve values, spill to
 * files past the memory budget) is the workers' shared held-data side (src/worker/held-data.ts),
 * the one volunteer tabs use.
 *
 * Replacement policy: a dead thread is reported (`thread-exit`, naming the task it ran when
 * that task is to blame), started again under the same id (up to START_ATTEMPTS times), linked
 * to the others, and reported ready (`thread-ready`). A link fails when either side dies
 * meanwhile (the thread link races every call against the exit); the dead one's replacement
 * links again.
 */
import type { TaskResult, WireTask, WorkerInitOptions } from '../../src/wire/pool-protocol.js';
import type { FromWorkerProcess } from '../../src/wire/protocol.js';
import { ThreadLink } from '../../src/local/thread-link.js';
import { nodeRuntime } from '../../src/local/runtime-node.js';
import { HeldData, type FetchRemote } from '../../src/worker/held-data.js';
import type { Got, ThreadSide } from '../../src/worker/scheduler-dispatch.js';
import { FileSpillStore } from './spill-files.js';
import { ThreadHandle } from './threads.js';

/** How many times a replacement thread may fail to start before the process goes on without it. */
const START_ATTEMPTS = 3;

/** The threads of one worker process. */
export class ProcessThreads implements ThreadSide {
  private readonly threads = new Map<string, ThreadHandle>();
  private options: WorkerInitOptions = {};
  private stopped = false;
  /** What the threads hold (and have spilled to files). */
  readonly data: HeldData;

  /**
   * `fetchRemote` fetches from a thread of another process (directly, else relayed); `budget`
   * is the bytes of held results allowed in memory now (see managedBudget); `collect` runs the
   * garbage collector (after spilled values are written); `paused` holds batches back while
   * the process is past its memory pause threshold.
   */
  constructor(
    private readonly send: (message: FromWorkerProcess) => void,
    fetchRemote: FetchRemote,
    budget: () => number,
    collect?: () => void,
    paused?: () => Promise<void> | undefined,
  ) {
    this.data = new HeldData({
      port: (id) => this.threads.get(id)?.port,
      fetchRemote,
      budget,
      openStore: () => Promise.resolve(FileSpillStore.create(collect)),
      putAhead: false,
      ...(paused !== undefined ? { paused } : {}),
    });
  }

  /** The ids of the live threads. */
  ids(): string[] {
    return [...this.threads.keys()];
  }

  /** Starts the threads with `options` and links every pair. */
  async start(ids: readonly string[], options: WorkerInitOptions): Promise<void> {
    this.options = options;
    const threads = await Promise.all(ids.map((id) => this.startThread(id)));
    await ThreadLink.connectAll(
      threads.map((t) => t.control),
      () => nodeRuntime.channel(),
    );
  }

  private async startThread(id: string): Promise<ThreadHandle> {
    const thread = await ThreadHandle.start(id, this.options, (t, r) => this.onResults(t, r));
    this.threads.set(id, thread);
    // A thread died mid-task (process.exit, out of memory): report it and start a new one.
    void thread.control.exited.then(() => this.replace(thread, thread.port.running()));
    return thread;
  }

  private async replace(thread: ThreadHandle, running: string | undefined): Promise<void> {
    if (this.stopped || this.threads.get(thread.id) !== thread) return;
    this.threads.delete(thread.id);
    this.data.threadGone(thread.id);
    this.send({
      type: 'thread-exit',
      worker: thread.id,
      ...(running !== undefined ? { running } : {}),
    });
    thread.stop();
    let fresh: ThreadHandle | undefined;
    for (let attempt = 0; fresh === undefined && attempt < START_ATTEMPTS; attempt++)
      fresh = await this.startThread(thread.id).catch(() => undefined);
    if (fresh === undefined) {
      console.error(`bask worker: could not restart thread ${thread.id}; going on without it`);
      return;
    }
    const linked = fresh;
    await Promise.allSettled(
      [...this.threads.values()]
        .filter((t) => t !== linked)
        .map((t) => ThreadHandle.link(linked, t)),
    );
    // Died while linking: its own replacement says ready.
    if (this.stopped || this.threads.get(thread.id) !== linked) return;
    this.send({ type: 'thread-ready', worker: thread.id });
  }

  /** A run went past its timeout: the thread may be stuck in it (a loop never yields). */
  restart(worker: string): void {
    const thread = this.threads.get(worker);
    if (thread !== undefined) void this.replace(thread, undefined);
  }

  /** Runs tasks on a thread; inputs from elsewhere (or from disk) are put in just before. */
  run(worker: string, tasks: WireTask[]): void {
    this.data.run(worker, tasks);
  }

  /** Drops data a thread holds. */
  free(worker: string, keys: string[]): void {
    this.data.free(worker, keys);
  }

  /** Drops queued tasks. */
  cancel(worker: string, keys: string[]): void {
    this.data.cancel(worker, keys);
  }

  /** Places data, queued behind what was sent before; resolves once the thread holds it. */
  put(worker: string, keys: string[], values: unknown[]): Promise<void> {
    return this.data.put(worker, keys, values);
  }

  /** Values a thread holds (in memory or spilled), still encoded: a gather, a peer's or a relayed fetch. */
  serve(worker: string, keys: string[], move: boolean[]): Promise<Got> {
    return this.data.serve(worker, keys, move);
  }

  private onResults(thread: ThreadHandle, results: TaskResult[]): void {
    this.send({ type: 'results', worker: thread.id, results });
    this.data.results(thread.id, results);
  }

  /** Stops every thread. */
  stop(): void {
    this.stopped = true;
    for (const t of this.threads.values()) t.stop();
    void this.data.destroy();
  }
}
