/**
 * One `bask worker` process: T worker threads behind one connection to the scheduler. The
 * process's main thread routes: tasks to their thread, results to the scheduler, and data
 * between machines. Threads of one process exchange data themselves (MessageChannels); inputs
 * held by another process are fetched by this thread first, directly from that process's peer
 * server (WebSocket) or, when that fails, relayed through the scheduler, then put into the
 * thread before the task that needs them.
 *
 * Heartbeats both ways: the process reports every `heartbeatInterval` and ends itself when the
 * scheduler has been silent for `heartbeatTimeout` (its data is gone from the cluster anyway).
 */
import { hostname } from 'node:os';
import { encodeFrame } from '../../src/wire/frame.js';
import { handshake } from '../../src/wire/handshake.js';
import { HeartbeatClock } from '../../src/wire/heartbeat-clock.js';
import { addressToward } from './route.js';
import type {
  TaskResult,
  ToWorker,
  WireTask,
  WorkerInitOptions,
} from '../../src/wire/pool-protocol.js';
import {
  PROTOCOL_VERSION,
  type FromWorkerProcess,
  type Hello,
  type WorkerInfo,
} from '../../src/wire/protocol.js';
import {
  movesAll,
  receiveSchedulerFrame,
  type Got,
  type WorkerSide,
} from '../../src/worker/scheduler-dispatch.js';
import { openSocket, type Socket } from '../../src/wire/socket.js';
import { REPORT_LIMIT } from '../../src/wire/protocol.js';
import { sizeof } from '../../src/worker/sizeof.js';
import { PeerNetwork } from './peers.js';
import { ThreadHandle } from './threads.js';

/** How many times a replacement thread may fail to start before the process goes on without it. */
const START_ATTEMPTS = 3;

/** Options of a worker process. */
export interface WorkerProcessOptions {
  /** The scheduler, `ws://host:8786`. */
  address: string;
  name?: string;
  nthreads?: number;
  memoryLimit?: number;
  resources?: Record<string, number>;
  token?: string;
  /**
   * Interface for the peer server, which other worker processes fetch data from (default: with a
   * token, the address of the interface that routes to the scheduler; else 127.0.0.1).
   */
  peerHost?: string;
  /** How often the process reports to the scheduler (ms, default 500). */
  heartbeatInterval?: number;
  /** The scheduler silence after which the process stops (ms, default 30000; `bask worker` then joins again). */
  heartbeatTimeout?: number;
}

/** Close codes after which joining again cannot help (shared with clients and volunteer tabs). */
export { CLOSE_CODES_FINAL } from '../../src/wire/backoff.js';

/** A running worker process. */
export class WorkerProcess {
  readonly threads = new Map<string, ThreadHandle>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private threadOptions: WorkerInitOptions = {};
  private lastPing = Date.now();
  private stopped = false;
  private closedWith: number | undefined;
  private readonly stopListeners: ((reason: string) => void)[] = [];

  private constructor(
    readonly name: string,
    private readonly socket: Socket,
    private readonly peers: PeerNetwork,
    private readonly options: WorkerProcessOptions,
  ) {}

  /** Connects, registers and starts the threads. */
  static async start(options: WorkerProcessOptions): Promise<WorkerProcess> {
    const nthreads = options.nthreads ?? 1;
    // Without a token every worker is on the scheduler's machine (it serves only those), and the
    // peer server, which would check that token, stays on loopback.
    const peerHost =
      options.peerHost ??
      (options.token !== undefined ? await addressToward(options.address) : undefined) ??
      '127.0.0.1';
    const peers = await PeerNetwork.listen(peerHost, options.token);
    try {
      return await WorkerProcess.join(options, nthreads, peers);
    } catch (error) {
      // Refused or unreachable: nothing of this worker may keep the process alive.
      peers.close();
      throw error;
    }
  }

  private static async join(
    options: WorkerProcessOptions,
    nthreads: number,
    peers: PeerNetwork,
  ): Promise<WorkerProcess> {
    const socket = await openSocket(options.address);
    const hello: Hello = {
      type: 'hello',
      version: PROTOCOL_VERSION,
      role: 'worker',
      name: options.name ?? `${hostname()}-${process.pid}`,
      ...(options.token !== undefined ? { token: options.token } : {}),
      worker: {
        nthreads,
        memoryLimit: options.memoryLimit ?? 0,
        resources: options.resources ?? {},
        host: hostname(),
        peerAddress: peers.address,
        kind: 'node',
      },
    };
    const welcome = await handshake(socket, hello);
    const myThreads = (welcome.workers ?? [])
      .filter((w) => w.process === welcome.id)
      .map((w) => w.id);
    const name = myThreads[0]?.replace(/\/\d+$/, '') ?? hello.name ?? 'worker';
    const worker = new WorkerProcess(name, socket, peers, options);
    peers.setLocal(welcome.id, (thread, keys, move) => worker.gatherFrom(thread, keys, move));
    peers.update(welcome.workers ?? [], []);
    // Messages (peer updates) may come while threads start: they wait in order.
    const early: Uint8Array[] = [];
    const unsubscribe = socket.onMessage((data) => early.push(data));
    socket.onClose((code, reason) => {
      worker.closedWith ??= code;
      worker.stop(`lost the scheduler (${code} ${reason})`);
    });
    worker.startHeartbeat();
    await worker.startThreads(myThreads, welcome.http);
    unsubscribe();
    for (const data of early) worker.onMessage(data);
    socket.onMessage((data) => worker.onMessage(data));
    for (const id of myThreads) worker.send({ type: 'thread-ready', worker: id });
    return worker;
  }

  private async startThreads(ids: string[], moduleServer: string | undefined): Promise<void> {
    this.threadOptions = {
      reportLimit: REPORT_LIMIT,
      ...(moduleServer !== undefined ? { moduleServer } : {}),
    };
    const threads = await Promise.all(ids.map((id) => this.startThread(id)));
    const links: Promise<void>[] = [];
    for (let i = 0; i < threads.length; i++)
      for (let j = i + 1; j < threads.length; j++)
        links.push(ThreadHandle.link(threads[i] as ThreadHandle, threads[j] as ThreadHandle));
    await Promise.all(links);
  }

  private async startThread(id: string): Promise<ThreadHandle> {
    const thread = await ThreadHandle.start(id, this.threadOptions, (t, r) => this.onResults(t, r));
    this.threads.set(id, thread);
    void thread.control.exited.then(() => this.threadDied(thread));
    return thread;
  }

  /** A thread died mid-task (process.exit, out of memory): report it and start a new one. */
  private threadDied(thread: ThreadHandle): Promise<void> {
    return this.replaceThread(thread, thread.port.running());
  }

  /**
   * Ends a thread and starts a new one with the same id: `thread-exit` (naming the task it
   * ran when that task is to blame), then `thread-ready` once the new one is linked.
   */
  private async replaceThread(thread: ThreadHandle, running: string | undefined): Promise<void> {
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
    // A link fails when either side dies meanwhile; the dead one's replacement links again.
    await Promise.allSettled(
      [...this.threads.values()]
        .filter((t) => t !== linked)
        .map((t) => ThreadHandle.link(linked, t)),
    );
    // Died while linking: its own replacement says ready.
    if (this.stopped || this.threads.get(thread.id) !== linked) return;
    this.send({ type: 'thread-ready', worker: thread.id });
  }

  /** The WebSocket close code, when the scheduler's connection closed. */
  get closeCode(): number | undefined {
    return this.closedWith;
  }

  /** Where other worker processes fetch this one's data (its peer server). */
  get peerAddress(): string {
    return this.peers.address;
  }

  /** Resolves when the process stops, with the reason. */
  whenStopped(): Promise<string> {
    return new Promise((resolve) => {
      if (this.stopped) resolve('stopped');
      else this.stopListeners.push(resolve);
    });
  }

  /** Stops threads, peer server and connection. */
  stop(reason = 'stopped'): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    for (const t of this.threads.values()) t.stop();
    this.peers.close();
    this.socket.close(1000, reason);
    for (const l of this.stopListeners) l(reason);
  }

  // ---- scheduler messages -------------------------------------------------------------------

  private onMessage(data: Uint8Array): void {
    receiveSchedulerFrame(data, this.side);
  }

  /** This process as the scheduler-message dispatcher sees it. */
  private readonly side: WorkerSide = {
    heard: () => {
      this.lastPing = Date.now();
    },
    stop: (reason) => this.stop(reason),
    send: (message) => this.send(message),
    run: (worker, tasks) => this.run(worker, tasks),
    free: (worker, keys) =>
      this.threads
        .get(worker)
        ?.port.enqueue({ type: 'batch', run: [], free: keys, cancel: [], measure: false }),
    cancel: (worker, keys) =>
      this.threads
        .get(worker)
        ?.port.enqueue({ type: 'batch', run: [], free: [], cancel: keys, measure: false }),
    put: (worker, keys, values) =>
      this.threads.get(worker)?.port.enqueue({ type: 'put', keys, values, marked: true }),
    serve: (worker, keys, move) => this.gatherFrom(worker, keys, move),
    updatePeers: (added, removed) => this.peers.update(added, removed),
    relayed: (id, values, missing) => this.peers.relayed(id, values, missing),
    restart: (worker) => {
      // A run went past its timeout: the thread may be stuck in it (a loop never yields).
      const thread = this.threads.get(worker);
      if (thread !== undefined) void this.replaceThread(thread, undefined);
    },
  };

  private run(worker: string, tasks: WireTask[]): void {
    const thread = this.threads.get(worker);
    if (thread === undefined) return;
    const remote = new Map<string, { keys: string[]; move: boolean[] }>();
    for (const task of tasks) {
      for (const f of task.fetch) {
        if (this.threads.has(f.from)) continue;
        let group = remote.get(f.from);
        if (group === undefined) remote.set(f.from, (group = { keys: [], move: [] }));
        group.keys.push(f.key);
        group.move.push(f.move);
      }
    }
    const batch: ToWorker = { type: 'batch', run: tasks, free: [], cancel: [], measure: false };
    if (remote.size === 0) {
      thread.port.enqueue(batch);
      return;
    }
    // Inputs from other machines are fetched and put in just before the batch that needs them.
    thread.port.enqueue(batch, async () => {
      const puts = await Promise.all(
        [...remote].map(async ([from, group]): Promise<ToWorker | undefined> => {
          const got = await this.peers.fetch(from, group.keys, group.move, (m) => this.send(m));
          const keys = group.keys.filter((k) => !got.missing.includes(k));
          if (keys.length === 0) return undefined;
          const values = keys.map((k) => got.values[group.keys.indexOf(k)]);
          return { type: 'put', keys, values, marked: true };
        }),
      );
      return puts.filter((p) => p !== undefined);
    });
  }

  private onResults(thread: ThreadHandle, results: TaskResult[]): void {
    this.send({ type: 'results', worker: thread.id, results });
  }

  /** Values one of this process's threads holds (a gather, a peer's or a relayed fetch). */
  private gatherFrom(worker: string, keys: string[], move: boolean[]): Promise<Got> {
    const thread = this.threads.get(worker);
    if (thread === undefined)
      return Promise.resolve({ values: keys.map(() => undefined), missing: keys });
    return thread.port.gather(keys, movesAll(move));
  }

  /** Sends a message to the scheduler. */
  send(message: FromWorkerProcess): void {
    if (this.stopped) return;
    if (message.type === 'relay-data')
      this.peers.bytesOut['relay'] = (this.peers.bytesOut['relay'] ?? 0) + sizeof(message.values);
    this.socket.send(encodeFrame(message));
  }

  private startHeartbeat(): void {
    const interval = this.options.heartbeatInterval ?? 500;
    const timeout = this.options.heartbeatTimeout ?? 30_000;
    const clock = new HeartbeatClock(interval);
    this.timer = setInterval(() => {
      const now = Date.now();
      if (clock.fair(now) && now - this.lastPing > timeout) {
        this.stop('the scheduler stopped answering');
        return;
      }
      this.send({
        type: 'heartbeat',
        metrics: {
          memory: process.memoryUsage.rss(),
          bytesIn: { ...this.peers.bytesIn },
          bytesOut: { ...this.peers.bytesOut },
        },
      });
    }, interval);
  }
}

export type { WorkerInfo };
