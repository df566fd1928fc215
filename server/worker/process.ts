/**
 * One `bask worker` process: T worker threads behind one connection to the scheduler. The
 * process's main thread routes: tasks to their thread, results to the scheduler, and data
 * between machines. Threads of one process exchange data themselves (MessageChannels); inputs
 * held by another process are fetched by this thread first, directly from that process's peer
 * server (WebSocket) or, when that fails, relayed through the scheduler, then put into the
 * thread before the task that needs them. The threads are process-threads.ts; scheduler messages
 * come in through the dispatcher volunteer tabs use too (src/worker/scheduler-dispatch.ts).
 *
 * Heartbeats both ways: the process reports every `heartbeatInterval` and ends itself when the
 * scheduler has been silent for `heartbeatTimeout` (its data is gone from the cluster anyway).
 * Memory: held results spill to files past the thresholds of `memoryLimit`, and the process
 * pauses or asks its supervisor for a restart past theirs (memory-monitor.ts); the heartbeat
 * carries RSS, spilled bytes and the pause, and a pause is reported the moment it changes.
 */
import { hostname } from 'node:os';
import { encodeFrame, type FrameData } from '../../src/wire/frame.js';
import { handshake } from '../../src/wire/handshake.js';
import { addressToward } from './route.js';
import {
  PROTOCOL_VERSION,
  REPORT_LIMIT,
  type FromWorkerProcess,
  type Hello,
  type WorkerInfo,
} from '../../src/wire/protocol.js';
import { SchedulerInbox, startHeartbeat } from '../../src/worker/scheduler-dispatch.js';
import { openSocket, type Socket } from '../../src/wire/socket.js';
import { sizeof } from '../../src/worker/sizeof.js';
import {
  DEFAULT_MEMORY_FRACTIONS,
  type MemoryFractions,
} from '../../src/worker/memory-thresholds.js';
import { MemoryMonitor, hasSupervisor, requestRestartWhenFlushed } from './memory-monitor.js';
import { PeerNetwork } from './peers.js';
import { ProcessThreads } from './process-threads.js';

/** Options of a worker process. */
export interface WorkerProcessOptions {
  /** The scheduler, `ws://host:8786`. */
  address: string;
  name?: string;
  nthreads?: number;
  /** Bytes of memory for the process (0: no limit, nothing spilled, paused or restarted). */
  memoryLimit?: number;
  /** The memory thresholds as fractions of `memoryLimit` (default Dask's 0.6/0.7/0.8/0.95). */
  memoryFractions?: MemoryFractions;
  /** How often memory is measured (ms, default 50). */
  memoryInterval?: number;
  resources?: Record<string, number>;
  token?: string;
  /** Certificate authorities to trust for a wss:// scheduler and peers (PEM), e.g. a self-signed certificate. */
  ca?: string;
  /** Serve the peer server over wss:// with this certificate and key (PEM), as the scheduler's. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /**
   * Interface for the peer server, which other worker processes fetch data from (default: with a
   * token, the address of the interface that routes to the scheduler; else 127.0.0.1).
   */
  peerHost?: string;
  /** How often the process reports to the scheduler (ms, default 500). */
  heartbeatInterval?: number;
  /** The scheduler silence after which the process stops (ms, default 30000; `bask worker` then joins again). */
  heartbeatTimeout?: number;
  /**
   * A connection to the scheduler already open, instead of dialling `address`: `bask demo`'s
   * worker, in the scheduler's own process (server/scheduler/in-process.ts).
   */
  connect?: () => Socket;
}

/** Close codes after which joining again cannot help (shared with clients and volunteer tabs). */
export { CLOSE_CODES_FINAL } from '../../src/wire/backoff.js';

/** A running worker process. */
export class WorkerProcess {
  private readonly threads: ProcessThreads;
  private readonly inbox: SchedulerInbox;
  private readonly memory: MemoryMonitor;
  private timer: ReturnType<typeof setInterval> | undefined;
  private stopped = false;
  private closedWith: number | undefined;
  private readonly stopListeners: ((reason: string) => void)[] = [];

  private constructor(
    readonly name: string,
    private readonly socket: Socket,
    private readonly peers: PeerNetwork,
    private readonly options: WorkerProcessOptions,
  ) {
    this.memory = new MemoryMonitor(
      options.memoryLimit ?? 0,
      options.memoryFractions ?? DEFAULT_MEMORY_FRACTIONS,
      {
        managed: () => this.threads.data.ledger.memory,
        spill: () => this.threads.data.spiller.check(),
        paused: () => this.beat(),
        terminate: (rss) => this.terminate(rss),
      },
    );
    this.threads = new ProcessThreads(
      (message) => this.send(message),
      (from, keys, move) => this.peers.fetch(from, keys, move, (m) => this.send(m)),
      () => this.memory.budget(),
      () => this.memory.collectGarbage(),
      () => this.memory.whilePaused(),
    );
    this.inbox = new SchedulerInbox({
      threads: this.threads,
      stop: (reason) => this.stop(reason),
      send: (message) => this.send(message),
      peers: this.peers,
    });
  }

  /** Connects, registers and starts the threads. */
  static async start(options: WorkerProcessOptions): Promise<WorkerProcess> {
    const nthreads = options.nthreads ?? 1;
    // Without a token every worker is on the scheduler's machine (it serves only those), and the
    // peer server, which would check that token, stays on loopback.
    const peerHost =
      options.peerHost ??
      (options.token !== undefined ? await addressToward(options.address) : undefined) ??
      '127.0.0.1';
    const peers = await PeerNetwork.listen(peerHost, options.token, {
      ...options.tls,
      ...(options.ca !== undefined ? { ca: options.ca } : {}),
    });
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
    const socket =
      options.connect?.() ??
      (await openSocket(
        options.address,
        undefined,
        options.ca === undefined ? {} : { ca: options.ca },
      ));
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
    const myThreads = welcome.threads ?? [];
    const name = myThreads[0]?.replace(/\/\d+$/, '') ?? hello.name ?? 'worker';
    const worker = new WorkerProcess(name, socket, peers, options);
    peers.setLocal(welcome.id, (thread, keys, move) => worker.threads.serve(thread, keys, move));
    // Messages (pings, puts) may come while threads start: they wait in order.
    const early: FrameData[] = [];
    const unsubscribe = socket.onMessage((data) => early.push(data));
    socket.onClose((code, reason) => {
      worker.closedWith ??= code;
      worker.stop(`lost the scheduler (${code} ${reason})`);
    });
    worker.startHeartbeat();
    worker.memory.start(options.memoryInterval);
    await worker.threads.start(myThreads, {
      reportLimit: REPORT_LIMIT,
      ...(welcome.http !== undefined ? { moduleServer: welcome.http } : {}),
    });
    unsubscribe();
    for (const data of early) worker.onMessage(data);
    socket.onMessage((data) => worker.onMessage(data));
    for (const id of myThreads) worker.send({ type: 'thread-ready', worker: id });
    return worker;
  }

  /** The ids of this process's live threads. */
  get threadIds(): string[] {
    return this.threads.ids();
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
    this.memory.stop();
    this.threads.stop();
    this.peers.close();
    this.socket.close(1000, reason);
    for (const l of this.stopListeners) l(reason);
  }

  // ---- scheduler messages -------------------------------------------------------------------

  private onMessage(data: FrameData): void {
    this.inbox.receive(data);
  }

  /** Sends a message to the scheduler. */
  send(message: FromWorkerProcess): void {
    if (this.stopped) return;
    if (message.type === 'relay-data')
      this.peers.bytesOut['relay'] = (this.peers.bytesOut['relay'] ?? 0) + sizeof(message.values);
    this.socket.send(encodeFrame(message));
  }

  private startHeartbeat(): void {
    this.timer = startHeartbeat({
      interval: this.options.heartbeatInterval ?? 500,
      timeout: this.options.heartbeatTimeout ?? 30_000,
      lastHeard: () => this.inbox.lastHeard,
      every: () => this.inbox.heartbeatEvery,
      silent: () => this.stop('the scheduler stopped answering'),
      beat: () => this.beat(),
    });
  }

  /** Reports memory, spill, pause and bytes moved. */
  private beat(): void {
    this.send({
      type: 'heartbeat',
      metrics: {
        memory: process.memoryUsage.rss(),
        bytesIn: { ...this.peers.bytesIn },
        bytesOut: { ...this.peers.bytesOut },
        spilled: this.threads.data.ledger.spilled,
        paused: this.memory.isPaused,
        ...(this.memory.isTerminating ? { terminating: true } : {}),
      },
    });
  }

  /** Past the terminate threshold: the scheduler hears it, the supervisor restarts this process. */
  private terminate(rss: number): void {
    const limit = this.options.memoryLimit ?? 0;
    const what = `${mib(rss)} MiB resident, past ${String(this.memory.fractions.terminate)} of its ${mib(limit)} MiB limit`;
    if (!hasSupervisor()) {
      console.error(
        `bask worker: '${this.name}' is at ${what}, but has no supervisor to restart it (start it with --memory-limit)`,
      );
      return;
    }
    console.error(`bask worker: '${this.name}' is at ${what}: restarting it`);
    this.beat();
    void requestRestartWhenFlushed(this.socket);
  }
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(0);
}

export type { WorkerInfo };
