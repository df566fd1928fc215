/**
 * The router of a volunteer browser: what server/worker/process.ts is for a `bask worker`,
 * running in a dedicated Worker of the volunteer page. It holds the scheduler connection
 * (role 'worker', kind 'browser'), registers the page's threads (`thread-ready`), routes tasks
 * to them with their inputs, answers gathers and fetches, and sends heartbeats.
 *
 * Heartbeats come from this Worker's timers, which browsers do not throttle like a background
 * tab's main thread, and the router ends itself when the scheduler has been silent for
 * `heartbeatTimeout` (its data is gone from the cluster anyway).
 */
import { BaskError } from '../errors.js';
import { encodeFrame, type FrameData } from '../wire/frame.js';
import { exchangeHello } from '../wire/handshake.js';
import {
  PROTOCOL_VERSION,
  type FromWorkerProcess,
  type Hello,
  type Welcome,
} from '../wire/protocol.js';
import { judgeMemory } from '../worker/memory-thresholds.js';
import { SchedulerInbox, startHeartbeat } from '../worker/scheduler-dispatch.js';
import { openSocket, type Socket } from '../wire/socket.js';
import { Holdings } from './holdings.js';
import type { HostToRouter, RouterOptions, RouterStatus, RouterToHost } from './messages.js';
import { DataPaths } from './paths.js';

type Post = (message: RouterToHost, transfer?: Transferable[]) => void;

/** A running volunteer router. */
export class Router {
  private readonly holdings: Holdings;
  private readonly paths: DataPaths;
  private readonly inbox: SchedulerInbox;
  private timer: ReturnType<typeof setInterval> | undefined;
  private stopped = false;

  private constructor(
    private readonly socket: Socket,
    private readonly id: string,
    private readonly options: RouterOptions,
    private readonly post: Post,
  ) {
    this.holdings = new Holdings(
      options.memoryLimit,
      options.fractions,
      `${id}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`,
      () => this.paths,
      (worker, results) => this.send({ type: 'results', worker, results }),
      (thread) => post({ type: 'respawn', id: thread.id, generation: thread.generation }),
    );
    this.paths = new DataPaths(
      id,
      { webrtc: options.webrtc, rtcTimeout: options.rtcTimeout, token: options.token },
      (m) => this.send(m),
      post,
      (thread, keys, move) => this.holdings.serve(thread, keys, move),
    );
    this.inbox = new SchedulerInbox({
      threads: this.holdings,
      stop: (reason) => this.stop(reason),
      send: (message) => this.send(message),
      peers: this.paths,
      relayBytesIn: (bytes) => this.paths.count(this.paths.bytesIn, 'relay', bytes),
      signal: (from, data) => post({ type: 'signal', from, data }),
    });
  }

  /** Connects and registers; the page then starts the threads it is told about. */
  static async start(options: RouterOptions, post: Post): Promise<Router | undefined> {
    let socket: Socket;
    let welcome: Welcome;
    try {
      socket = await openSocket(options.address);
      welcome = await exchangeHello(socket, hello(options));
    } catch (error) {
      const code = error instanceof BaskError ? error.code : 'ERR_CONNECTION';
      post({
        type: 'refused',
        code,
        message: error instanceof Error ? error.message : String(error),
      });
      return undefined;
    }
    if (welcome.type === 'refused') {
      socket.close(1000, 'refused');
      post({ type: 'refused', code: welcome.code, message: welcome.message });
      return undefined;
    }
    const router = new Router(socket, welcome.id, options, post);
    const ids = welcome.threads ?? [];
    socket.onMessage((data) => router.onMessage(data));
    socket.onClose((code, reason) => router.stop(`lost the scheduler (${code} ${reason})`, code));
    router.startHeartbeat();
    post({
      type: 'welcome',
      id: welcome.id,
      name: ids[0]?.replace(/\/\d+$/, '') ?? options.name ?? 'browser',
      threads: ids,
      moduleServer: welcome.http,
    });
    return router;
  }

  /** Handles a message from the page. */
  fromHost(message: HostToRouter): void {
    switch (message.type) {
      case 'thread':
        this.holdings.addThread(message.id, message.generation, message.port);
        return this.send({ type: 'thread-ready', worker: message.id });
      case 'thread-exit': {
        if (!this.holdings.threads.has(message.id)) return;
        const running = this.holdings.removeThread(message.id);
        return this.send({
          type: 'thread-exit',
          worker: message.id,
          ...(running !== undefined ? { running } : {}),
        });
      }
      case 'rtc-message':
        return this.paths.rtcMessage(message.peer, message.bytes);
      case 'rtc-state':
        return this.paths.rtcState(message.peer, message.state);
      case 'signal':
        return this.send({ type: 'signal', to: message.to, data: message.data });
      case 'leave':
        return this.stop(message.reason);
      case 'start':
        return;
    }
  }

  /** Stops: closes the connection, the threads' links and the spill database. */
  stop(reason: string, code?: number): void {
    if (this.stopped) return;
    this.sendHeartbeat();
    this.stopped = true;
    clearInterval(this.timer);
    this.paths.close();
    this.socket.close(1000, reason.slice(0, 120));
    void this.holdings
      .close()
      .then(() => this.post({ type: 'stopped', reason, ...(code !== undefined ? { code } : {}) }));
  }

  private onMessage(data: FrameData): void {
    this.inbox.receive(data);
  }

  private send(message: FromWorkerProcess): void {
    if (this.stopped) return;
    const chunks = encodeFrame(message);
    if (message.type === 'relay-fetch' || message.type === 'relay-data') {
      let bytes = 0;
      for (const c of chunks) bytes += c.byteLength;
      this.paths.count(this.paths.bytesOut, 'relay', bytes);
    }
    this.socket.send(chunks);
  }

  private startHeartbeat(): void {
    this.timer = startHeartbeat({
      interval: this.options.heartbeatInterval,
      timeout: this.options.heartbeatTimeout,
      lastHeard: () => this.inbox.lastHeard,
      every: () => this.inbox.heartbeatEvery,
      silent: () => this.stop('the scheduler stopped answering'),
      beat: () => this.sendHeartbeat(),
    });
  }

  private sendHeartbeat(): void {
    const status = this.status();
    this.send({
      type: 'heartbeat',
      metrics: {
        memory: status.memory,
        bytesIn: status.bytesIn,
        bytesOut: status.bytesOut,
        spilled: status.spilled,
        // Held results past pause (a tab cannot read its own memory): no new tasks meanwhile.
        paused: judgeMemory(this.options.memoryLimit, this.options.fractions, {
          managed: status.memory,
        }).paused,
      },
    });
    this.post({ type: 'status', status });
  }

  /** What the page shows. */
  status(): RouterStatus {
    const threads = this.holdings.threadMetrics();
    let tasksDone = 0;
    for (const t of Object.values(threads)) tasksDone += t.tasksDone;
    const ledger = this.holdings.ledger;
    return {
      tasksDone,
      keys: ledger.size,
      memory: ledger.memory,
      spilled: ledger.spilled,
      spilledKeys: ledger.spilledKeys,
      threads,
      bytesIn: { ...this.paths.bytesIn },
      bytesOut: { ...this.paths.bytesOut },
      processes: this.paths.processes,
    };
  }
}

function hello(options: RouterOptions): Hello {
  return {
    type: 'hello',
    version: PROTOCOL_VERSION,
    role: 'worker',
    ...(options.name !== undefined ? { name: options.name } : {}),
    ...(options.token !== undefined ? { token: options.token } : {}),
    worker: {
      nthreads: options.nthreads,
      memoryLimit: options.memoryLimit,
      resources: options.resources,
      host: options.host,
      kind: 'browser',
    },
  };
}
