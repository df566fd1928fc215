/**
 * The threads of one `bask worker` process and what the scheduler asks of them: start and link
 * them, run batches (inputs held by other machines fetched and put in first), free, cancel,
 * put, serve values, and replace a thread that died or got stuck.
 *
 * Replacement policy: a dead thread is reported (`thread-exit`, naming the task it ran when
 * that task is to blame), started again under the same id (up to START_ATTEMPTS times), linked
 * to the others, and reported ready (`thread-ready`). A link fails when either side dies
 * meanwhile (the thread link races every call against the exit); the dead one's replacement
 * links again.
 */
import type {
  TaskResult,
  ToWorker,
  WireTask,
  WorkerInitOptions,
} from '../../src/wire/pool-protocol.js';
import type { FromWorkerProcess } from '../../src/wire/protocol.js';
import { ThreadLink } from '../../src/local/thread-link.js';
import { nodeRuntime } from '../../src/local/runtime-node.js';
import { groupByHolder } from '../../src/worker/fetch-groups.js';
import { movesAll, type Got, type ThreadSide } from '../../src/worker/scheduler-dispatch.js';
import { ThreadHandle } from './threads.js';

/** How many times a replacement thread may fail to start before the process goes on without it. */
const START_ATTEMPTS = 3;

/** Fetches values held by a thread of another process (directly, else relayed). */
type FetchRemote = (from: string, keys: string[], move: boolean[]) => Promise<Got>;

/** The threads of one worker process. */
export class ProcessThreads implements ThreadSide {
  private readonly threads = new Map<string, ThreadHandle>();
  private options: WorkerInitOptions = {};
  private stopped = false;

  constructor(
    private readonly send: (message: FromWorkerProcess) => void,
    private readonly fetchRemote: FetchRemote,
  ) {}

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

  /** Runs tasks on a thread; inputs from other machines are put in just before the batch. */
  run(worker: string, tasks: WireTask[]): void {
    const thread = this.threads.get(worker);
    if (thread === undefined) return;
    const remote = groupByHolder(
      tasks.flatMap((t) => t.fetch),
      (f) => this.threads.has(f.from),
    );
    const batch: ToWorker = { type: 'batch', run: tasks, free: [], cancel: [], measure: false };
    if (remote.size === 0) {
      thread.port.enqueue(batch);
      return;
    }
    thread.port.enqueue(batch, async () => {
      const puts = await Promise.all(
        [...remote].map(async ([from, group]): Promise<ToWorker | undefined> => {
          const got = await this.fetchRemote(from, group.keys, group.move);
          const keys = group.keys.filter((k) => !got.missing.includes(k));
          if (keys.length === 0) return undefined;
          const values = keys.map((k) => got.values[group.keys.indexOf(k)]);
          return { type: 'put', keys, values, marked: true };
        }),
      );
      return puts.filter((p) => p !== undefined);
    });
  }

  /** Drops data a thread holds. */
  free(worker: string, keys: string[]): void {
    this.threads
      .get(worker)
      ?.port.enqueue({ type: 'batch', run: [], free: keys, cancel: [], measure: false });
  }

  /** Drops queued tasks. */
  cancel(worker: string, keys: string[]): void {
    this.threads
      .get(worker)
      ?.port.enqueue({ type: 'batch', run: [], free: [], cancel: keys, measure: false });
  }

  /** Places data, queued behind what was sent before; resolves once the thread holds it. */
  async put(worker: string, keys: string[], values: unknown[]): Promise<void> {
    const thread = this.threads.get(worker);
    if (thread === undefined) return;
    thread.port.enqueue({ type: 'put', keys, values, marked: true });
    await thread.port.received(true);
  }

  /** Values a thread holds, still encoded (a gather, a peer's or a relayed fetch). */
  serve(worker: string, keys: string[], move: boolean[]): Promise<Got> {
    const thread = this.threads.get(worker);
    if (thread === undefined)
      return Promise.resolve({ values: keys.map(() => undefined), missing: keys });
    return thread.port.gather(keys, movesAll(move));
  }

  private onResults(thread: ThreadHandle, results: TaskResult[]): void {
    this.send({ type: 'results', worker: thread.id, results });
  }

  /** Stops every thread. */
  stop(): void {
    this.stopped = true;
    for (const t of this.threads.values()) t.stop();
  }
}
