/**
 * The volunteer page's threads: module Web Workers running the pool worker (the same entry
 * the local pool uses), started on the page and handed to the router worker by their task
 * ports. Threads of one page are linked to each other by MessageChannels, so data moves
 * between them directly. Each thread is reached through its ThreadLink (local/thread-link.ts),
 * so every call to it, linking included, ends when the thread dies.
 *
 * A thread that dies (an uncaught error, a fatal report, out of memory) is reported to the
 * router (which tells the scheduler, which reschedules its work) and replaced by a new one
 * with the same id, linked again to the others. A link fails when either side dies meanwhile:
 * the dead one's replacement links again, so a replacement is handed off whatever its links did.
 */
import { webRuntime } from '../local/runtime-web.js';
import type { PoolRuntime } from '../local/runtime.js';
import { ThreadLink } from '../local/thread-link.js';
import type { WorkerInitOptions } from '../wire/pool-protocol.js';
import type { HostToRouter } from './messages.js';

interface Thread {
  readonly link: ThreadLink;
  /** The router's end of the thread's task port. */
  readonly port: MessagePort;
  readonly generation: number;
}

/** The threads of one volunteer page. */
export class HostThreads {
  private readonly threads = new Map<string, Thread>();
  private stopped = false;
  private generations = 0;

  constructor(
    private readonly options: WorkerInitOptions,
    private readonly toRouter: (message: HostToRouter, transfer?: Transferable[]) => void,
    /** Where threads come from (Web Workers; tests may run them as worker_threads). */
    private readonly runtime: Pick<PoolRuntime, 'spawn' | 'channel'> = webRuntime,
  ) {}

  /** Starts the threads, links them, then hands each to the router. */
  async start(ids: readonly string[]): Promise<void> {
    const started = await Promise.all(ids.map((id) => this.spawn(id)));
    await ThreadLink.connectAll(
      started.map((t) => t.link),
      () => this.runtime.channel(),
    );
    for (const t of started) this.handOff(t);
  }

  /**
   * Replaces a thread that died: its exit was seen here, or the router heard it report a
   * fatal error (`generation` says which thread that was: a replacement is left alone).
   */
  async restart(id: string, generation?: number): Promise<void> {
    const old = this.threads.get(id);
    if (this.stopped || old === undefined) return;
    if (generation !== undefined && old.generation !== generation) return;
    this.threads.delete(id);
    old.link.terminate();
    this.toRouter({ type: 'thread-exit', id });
    let fresh: Thread;
    try {
      fresh = await this.spawn(id);
    } catch {
      this.threads.delete(id); // cannot start threads any more: run with fewer
      return;
    }
    // A peer that dies meanwhile fails its link; its own replacement links to this one.
    await Promise.allSettled(
      [...this.threads.values()].filter((t) => t !== fresh).map((t) => this.connect(fresh, t)),
    );
    this.handOff(fresh);
  }

  /** Ends every thread. */
  stop(): void {
    this.stopped = true;
    for (const t of this.threads.values()) t.link.terminate();
    this.threads.clear();
  }

  /** Starts a thread and its task port (the router gets the port once the thread is linked). */
  private async spawn(id: string): Promise<Thread> {
    const link = new ThreadLink(id, this.runtime.spawn(id));
    const { port1, port2 } = this.runtime.channel();
    const generation = ++this.generations;
    const thread: Thread = { link, port: port1 as unknown as MessagePort, generation };
    this.threads.set(id, thread);
    // Rejects with ERR_WORKER_CRASHED when the thread dies before it is up.
    await link.init(port2, this.options);
    void link.exited.then(() => {
      if (this.threads.get(id) === thread) void this.restart(id);
    });
    return thread;
  }

  private connect(a: Thread, b: Thread): Promise<void> {
    return ThreadLink.connect(a.link, b.link, () => this.runtime.channel());
  }

  private handOff(thread: Thread): void {
    if (this.stopped || this.threads.get(thread.link.id) !== thread) return;
    const { generation, port } = thread;
    this.toRouter({ type: 'thread', id: thread.link.id, generation, port }, [port]);
  }
}
