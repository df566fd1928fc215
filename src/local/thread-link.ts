/**
 * The control link to one worker thread (a worker_thread or a Web Worker running the pool
 * worker): its comlink remote and its exit. Every place that drives such a thread reaches it
 * through this link: the local pool (worker-handle.ts), a `bask worker` process
 * (server/worker/threads.ts) and a volunteer page (volunteer/host-threads.ts).
 *
 * Policy: comlink never settles a call to a thread that has exited (comlink #601, #692), so
 * every call made through `remote` is raced against the thread's exit and rejects with
 * ERR_WORKER_CRASHED once the thread is gone (at once when it already is). No caller needs to
 * remember to race: a hang on a dead thread cannot be written.
 *
 * Invariant: `exited` resolves before any raced call rejects, so a caller racing a call against
 * `exited` itself sees the exit first (the pool's links end quietly when a peer dies).
 */
import * as Comlink from 'comlink';
import { BaskError } from '../errors.js';
import type { WorkerApi, WorkerInitOptions } from '../wire/pool-protocol.js';
import type { MainPort, SpawnedWorker } from './runtime.js';

/** Makes a pair of linked ports (the runtime's `channel()`). */
export type MakeChannel = () => { port1: MainPort; port2: MainPort };

/** A port handed to a thread over comlink (moved, not copied). */
function transferPort(port: MainPort): MessagePort {
  const moved = port as unknown as MessagePort;
  return Comlink.transfer(moved, [moved as unknown as Transferable]);
}

/** The control link to one worker thread; every call through `remote` is raced against its exit. */
export class ThreadLink {
  /** The thread's control API; each call rejects with ERR_WORKER_CRASHED when the thread dies. */
  readonly remote: Comlink.Remote<WorkerApi>;
  /** Resolves when the thread has exited (crashed, ended itself, or terminated). */
  readonly exited: Promise<void>;
  private readonly died: Promise<never>;
  private gone = false;

  constructor(
    readonly id: string,
    readonly spawned: SpawnedWorker,
  ) {
    const raw = Comlink.wrap<WorkerApi>(spawned.endpoint);
    let markExited: () => void = () => undefined;
    let reject: (error: BaskError) => void = () => undefined;
    this.exited = new Promise((resolve) => (markExited = resolve));
    this.died = new Promise<never>((_, fail) => (reject = fail));
    this.died.catch(() => undefined);
    spawned.onExit((error) => {
      this.gone = true;
      markExited();
      reject(
        new BaskError(
          'ERR_WORKER_CRASHED',
          `Worker thread '${id}' exited (${error?.message ?? 'no reason given'}) before answering; its replacement takes over`,
          { cause: error },
        ),
      );
    });
    this.remote = new Proxy(raw, {
      get: (target, prop, receiver) => {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof prop !== 'string' || typeof value !== 'function') return value;
        return (...args: unknown[]) =>
          this.race(Promise.resolve((value as (...a: unknown[]) => unknown)(...args)));
      },
    });
  }

  /** True once the thread has exited. */
  get isExited(): boolean {
    return this.gone;
  }

  /** `promise`, or ERR_WORKER_CRASHED as soon as the thread exits. */
  race<T>(promise: Promise<T>): Promise<T> {
    return Promise.race([promise, this.died]);
  }

  /** Starts the thread's runtime: its id, its task port (moved to it) and options. */
  init(taskPort: MainPort, options: WorkerInitOptions): Promise<void> {
    return this.remote.init(this.id, transferPort(taskPort), options);
  }

  /**
   * Links two threads by a channel of their own, for direct data exchange. Rejects with
   * ERR_WORKER_CRASHED when either exits meanwhile (its replacement links again).
   */
  static async connect(a: ThreadLink, b: ThreadLink, channel: MakeChannel): Promise<void> {
    const { port1, port2 } = channel();
    await Promise.all([
      a.remote.connect(b.id, transferPort(port1)),
      b.remote.connect(a.id, transferPort(port2)),
    ]);
  }

  /** Links every pair of `links` (each pair once); rejects as `connect` does. */
  static async connectAll(links: readonly ThreadLink[], channel: MakeChannel): Promise<void> {
    const pairs: Promise<void>[] = [];
    links.forEach((a, i) => {
      for (const b of links.slice(i + 1)) pairs.push(ThreadLink.connect(a, b, channel));
    });
    await Promise.all(pairs);
  }

  /** Stops the thread now. */
  terminate(): void {
    this.spawned.terminate();
  }

  /** Lets go of the comlink proxy (the thread is gone or retired). */
  release(): void {
    this.remote[Comlink.releaseProxy]();
  }
}
