/**
 * The volunteer page's threads: module Web Workers running the pool worker (the same entry
 * the local pool uses), started on the page and handed to the router worker by their task
 * ports. Threads of one page are linked to each other by MessageChannels, so data moves
 * between them directly.
 *
 * A thread that dies (an uncaught error, a fatal report, out of memory) is reported to the
 * router (which tells the scheduler, which reschedules its work) and replaced by a new one
 * with the same id, linked again to the others.
 */
import * as Comlink from 'comlink';
import { BaskError } from '../errors.js';
import { webRuntime } from '../local/runtime-web.js';
import type { SpawnedWorker } from '../local/runtime.js';
import type { WorkerApi, WorkerInitOptions } from '../wire/pool-protocol.js';
import type { HostToRouter } from './messages.js';

interface Thread {
  readonly id: string;
  readonly spawned: SpawnedWorker;
  readonly remote: Comlink.Remote<WorkerApi>;
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
  ) {}

  /** Starts the threads, links them, then hands each to the router. */
  async start(ids: readonly string[]): Promise<void> {
    const started = await Promise.all(ids.map((id) => this.spawn(id)));
    const links: Promise<void>[] = [];
    for (let i = 0; i < started.length; i++)
      for (let j = i + 1; j < started.length; j++)
        links.push(link(started[i] as Thread, started[j] as Thread));
    await Promise.all(links);
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
    old.spawned.terminate();
    this.toRouter({ type: 'thread-exit', id });
    let fresh: Thread;
    try {
      fresh = await this.spawn(id);
    } catch {
      this.threads.delete(id); // cannot start threads any more: run with fewer
      return;
    }
    await Promise.all(
      [...this.threads.values()].filter((t) => t !== fresh).map((t) => link(fresh, t)),
    );
    this.handOff(fresh);
  }

  /** Ends every thread. */
  stop(): void {
    this.stopped = true;
    for (const t of this.threads.values()) t.spawned.terminate();
    this.threads.clear();
  }

  /** Starts a thread and its task port (the router gets the port once the thread is linked). */
  private async spawn(id: string): Promise<Thread> {
    const spawned = webRuntime.spawn(id);
    const { port1, port2 } = new MessageChannel();
    const remote = Comlink.wrap<WorkerApi>(spawned.endpoint);
    const generation = ++this.generations;
    const thread: Thread = { id, spawned, remote, port: port1, generation };
    this.threads.set(id, thread);
    let ready = false;
    // comlink never settles a call to a dead worker: a death before init rejects here instead.
    const died = new Promise<never>((_, reject) =>
      spawned.onExit((error) => {
        if (!ready)
          reject(
            new BaskError('ERR_WORKER_CRASHED', `Thread ${id} failed to start`, { cause: error }),
          );
        else if (this.threads.get(id) === thread) void this.restart(id);
      }),
    );
    await Promise.race([remote.init(id, Comlink.transfer(port2, [port2]), this.options), died]);
    ready = true;
    return thread;
  }

  private handOff(thread: Thread): void {
    if (this.stopped || this.threads.get(thread.id) !== thread) return;
    const { id, generation, port } = thread;
    this.toRouter({ type: 'thread', id, generation, port }, [port]);
  }
}

async function link(a: Thread, b: Thread): Promise<void> {
  const { port1, port2 } = new MessageChannel();
  await Promise.all([
    a.remote.connect(b.id, Comlink.transfer(port1, [port1])),
    b.remote.connect(a.id, Comlink.transfer(port2, [port2])),
  ]);
}
