/**
 * `bask scheduler` as a running server: a WebSocket endpoint (clients, worker processes,
 * dashboards) and an HTTP endpoint (dashboard pages, /health, /metrics, task modules), both
 * bound to 127.0.0.1 unless told otherwise, both over TLS when given a certificate.
 * The engine work happens in `Cluster`; this file owns sockets, limits and shutdown. Who may
 * connect is decided in guard.ts, how the first message is answered in handshake.ts, what a
 * message may say in validate.ts, when a silent worker is dropped in liveness.ts, and Files
 * uploaded ahead of submissions are kept in uploads.ts.
 *
 * Handshake: the first message must be a `hello` within HELLO_TIMEOUT_MS, with the protocol
 * version (a mismatch is refused with ERR_PROTOCOL_VERSION) and the token of its role (or, for a
 * role without a token, from this machine). Every later message is validated against its
 * role's types before it reaches the engine. Whatever breaks a rule closes that connection
 * only, with a documented close code (guard.ts CLOSE), a log line and a count on /metrics;
 * the scheduler lives on.
 */
import { randomBytes } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server as HttpServer,
} from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { BaskError } from '../../src/errors.js';
import { decodeFrame, encodeFrame, FrameChunks } from '../../src/wire/frame.js';
import { throttledStderr } from './log.js';
import type { Hello, Welcome } from '../../src/wire/protocol.js';
import { DashboardHub } from '../dashboard/hub.js';
import { Cluster, type Conn } from './cluster.js';
import {
  CLOSE,
  ConnectionBudget,
  isOwnAddress,
  originAllowed,
  type AccessPolicy,
  type Refusal,
  type RateLimits,
} from './guard.js';
import { handleHttp, type HttpContext } from './http.js';
import { checkClientMessage, checkWorkerMessage } from './validate.js';
import { handshake } from './handshake.js';
import { closeServer, listen } from './listen.js';
import { ClientLimits } from './limits.js';
import { Uploads, type ConnectionUploads } from './uploads.js';
import { checkOptions, describeAccess, type SchedulerOptions } from './options.js';
import { watchWorkers } from './liveness.js';
import { inProcessPair, type Endpoint } from './in-process.js';
import type { Socket } from '../../src/wire/socket.js';

export type { SchedulerOptions } from './options.js';

const HELLO_TIMEOUT_MS = 5000;
/** A hello is small: anything bigger before it is refused unread. */
const MAX_HELLO_BYTES = 64 * 1024;
const DEFAULT_MAX_MESSAGE = 512 * 1024 ** 2;

/** A running scheduler. */
export class SchedulerServer {
  readonly cluster = new Cluster();
  /** Live dashboards (server/dashboard/): idle while none is connected. */
  readonly dashboards = new DashboardHub(this.cluster);
  private readonly sockets = new Set<Endpoint>();
  /** The worker liveness timer (liveness.ts). */
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private nextConn = 1;
  private closed = false;
  /** Task modules are served to workers under this unguessable path. */
  private readonly moduleSecret = randomBytes(18).toString('base64url');
  private readonly limits: RateLimits;
  private readonly policy: AccessPolicy;
  /** Bytes clients upload ahead of their submissions (uploads.ts). */
  private readonly uploads: Uploads;
  private readonly log: (line: string) => void;

  private constructor(
    private readonly options: SchedulerOptions,
    private readonly ws: WebSocketServer,
    private readonly wsHttp: HttpServer,
    private readonly http: HttpServer,
  ) {
    const maxMessage = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE;
    this.limits = {
      messagesPerSecond: 20_000,
      messageBurst: 200_000,
      bytesPerSecond: 1024 ** 3,
      byteBurst: 2 * maxMessage,
      ...options.rateLimits,
    };
    this.policy = {
      clientToken: options.clientToken,
      workerToken: options.workerToken,
      dashboardToken: options.dashboardToken,
      allowOrigins: options.allowOrigins,
      httpPort: () => (this.http.address() as AddressInfo | null)?.port ?? -1,
    };
    this.uploads = new Uploads({
      maxBytes: maxMessage,
      counted: (bytes) => {
        this.cluster.metrics.count('uploads');
        this.cluster.metrics.count('uploadedBytes', bytes);
      },
    });
    this.log = options.log ?? throttledStderr();
    this.cluster.log = (line) => this.log(line);
    this.cluster.deferSends((send) => setImmediate(send));
    this.cluster.limits = new ClientLimits({
      maxGraphSize: options.maxGraphSize,
      maxTasksInFlight: options.maxTasksInFlight,
    });
  }

  /** Starts listening; resolves once both ports are bound. */
  static async start(options: SchedulerOptions = {}): Promise<SchedulerServer> {
    checkOptions(options);
    const host = options.host ?? '127.0.0.1';
    const serve = (listener?: RequestListener): HttpServer =>
      options.tls === undefined
        ? createServer(listener)
        : createTlsServer({ cert: options.tls.cert, key: options.tls.key }, listener);
    const wsHttp = serve((req, res) => {
      // Called per request, after `server` below exists.
      if (server.uploads.handle(req, res)) return;
      res
        .writeHead(426, { 'content-type': 'text/plain' })
        .end('bask scheduler: connect with a WebSocket client\n');
    });
    const http = serve();
    const ws = new WebSocketServer({
      server: wsHttp,
      maxPayload: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE,
      perMessageDeflate: false,
      verifyClient: (info, done) => {
        // Called per upgrade, after `server` below exists.
        if (server.originOk(info.req)) done(true);
        else done(false, 403, 'Origin not allowed');
      },
    });
    const server = new SchedulerServer(options, ws, wsHttp, http);
    ws.on('connection', (socket, req) => {
      // A message as its fragments, not joined: big buffers go on to workers and clients in
      // the pieces they came in (src/wire/frame-chunks.ts).
      socket.binaryType = 'fragments';
      server.accept(socket, req.socket.remoteAddress, req.socket);
    });
    http.on('request', (req, res) => {
      handleHttp(server.httpContext(), req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`internal error: ${error instanceof Error ? error.message : String(error)}\n`);
      });
    });
    await Promise.all([
      listen(wsHttp, options.port ?? 8786, host),
      listen(http, options.dashboardPort ?? 8787, host),
    ]);
    server.heartbeat = watchWorkers(
      server.cluster,
      options.heartbeatInterval ?? 500,
      options.heartbeatTimeout ?? 10_000,
      (line) => server.log(line),
    );
    return server;
  }

  /** `ws://host:port` (`wss://` with TLS) of the scheduler. */
  get address(): string {
    const scheme = this.options.tls === undefined ? 'ws' : 'wss';
    return `${scheme}://${this.hostForUrl()}:${(this.wsHttp.address() as AddressInfo).port}`;
  }

  /** `http://host:port` (`https://` with TLS) of the dashboard server. */
  get httpAddress(): string {
    const scheme = this.options.tls === undefined ? 'http' : 'https';
    return `${scheme}://${this.hostForUrl()}:${(this.http.address() as AddressInfo).port}`;
  }

  /** Who may connect, in words (the startup banner). */
  describeAccess(): string[] {
    return describeAccess(this.options);
  }

  private hostForUrl(): string {
    const host = this.options.host ?? '127.0.0.1';
    if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
    return host.includes(':') ? `[${host}]` : host;
  }

  /** Stops accepting, closes every connection, frees the ports. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.cluster.close();
    this.dashboards.close();
    for (const s of this.sockets) s.terminate();
    await Promise.all([
      closeServer(this.wsHttp),
      closeServer(this.http),
      new Promise<void>((resolve) => this.ws.close(() => resolve())),
    ]);
  }

  private httpContext(): HttpContext {
    return {
      cluster: this.cluster,
      staticRoot: this.options.staticRoot,
      address: this.address,
      dashboards: this.dashboards,
      modulePath: `/w/${this.moduleSecret}/modules`,
    };
  }

  // ---- connections ------------------------------------------------------------------------

  private originOk(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (originAllowed(this.policy, origin, req.headers.host)) return true;
    this.refused(
      'origin',
      `a page at ${String(origin)} (allow it with --allow-origin)`,
      req.socket.remoteAddress,
    );
    return false;
  }

  private refused(reason: Refusal, who: string, remote: string | undefined): void {
    this.cluster.metrics.countIn(this.cluster.metrics.refused, reason);
    this.log(`bask scheduler: refused (${reason}) ${who}, from ${remote ?? 'unknown'}`);
  }

  /**
   * A connection from inside this process (`bask demo`'s worker process): the returned socket
   * is its end, accepted as a connection from this machine (in-process.ts). Throws
   * ERR_CONNECTION once the server is closed.
   */
  connectInProcess(): Socket {
    if (this.closed)
      throw new BaskError('ERR_CONNECTION', 'The scheduler is closed: it accepts no connection');
    const { server, client } = inProcessPair();
    this.accept(server, '127.0.0.1');
    return client;
  }

  /** `raw`: the TCP (or TLS) socket under a network connection, corked while a batch is sent. */
  private accept(
    socket: Endpoint,
    remote: string | undefined,
    raw?: Pick<Duplex, 'cork' | 'uncork'>,
  ): void {
    this.sockets.add(socket);
    const local = isOwnAddress(remote);
    const conn = this.makeConn(socket, raw);
    const budget = new ConnectionBudget(this.limits, performance.now());
    let role: Hello['role'] | undefined;
    let uploads: ConnectionUploads | undefined;
    const openUploads = (): string => {
      uploads = this.uploads.open(
        (bytes) => budget.spend(bytes, performance.now()),
        (origin, host) => originAllowed(this.policy, origin, host),
      );
      return uploads.path;
    };
    let ended = false;
    const breakRule = (reason: Refusal, code: number, text: string): void => {
      if (ended) return;
      ended = true;
      this.cluster.metrics.countIn(this.cluster.metrics.closed, reason);
      this.log(
        `bask scheduler: closing ${conn.id} (${role ?? 'no hello'}, ${remote ?? 'unknown'}): ${text}`,
      );
      conn.close(code, text.slice(0, 120));
    };
    const helloTimer = setTimeout(
      () => breakRule('invalid', CLOSE.invalid, `no hello within ${HELLO_TIMEOUT_MS} ms`),
      HELLO_TIMEOUT_MS,
    );
    socket.on('message', (received: Buffer[] | FrameChunks, isBinary: boolean) => {
      if (ended) return;
      const data = received instanceof FrameChunks ? received : FrameChunks.received(received);
      if (!budget.spend(data.byteLength, performance.now())) {
        breakRule('rate', CLOSE.rate, 'too many messages or bytes per second');
        return;
      }
      if (role === undefined && data.byteLength > MAX_HELLO_BYTES) {
        breakRule('invalid', CLOSE.invalid, `a ${data.byteLength}-byte message before the hello`);
        return;
      }
      let message: unknown;
      try {
        if (!isBinary)
          throw new BaskError('ERR_PROTOCOL', 'text frames are not part of the protocol');
        message = decodeFrame(data, { split: true, uploads: uploads?.claim });
      } catch {
        breakRule('invalid', CLOSE.invalid, 'malformed message (not a bask frame)');
        return;
      }
      if (role === undefined) {
        clearTimeout(helloTimer);
        const ctx = {
          cluster: this.cluster,
          policy: this.policy,
          workerHttp: `${this.httpAddress}/w/${this.moduleSecret}`,
        };
        role = handshake(ctx, conn, message, local, openUploads, (reason, code, text, claimed) => {
          ended = true;
          this.refused(reason, `${conn.id} (${claimed ?? 'no role'}): ${text.message}`, remote);
          conn.send({ type: 'refused', code: text.code, message: text.message } satisfies Welcome);
          conn.close(code, text.code);
        });
        if (role === 'dashboard') this.dashboards.add(conn.id, socket);
        return;
      }
      this.dispatch(conn, role, message, breakRule);
    });
    socket.on('close', () => {
      clearTimeout(helloTimer);
      this.sockets.delete(socket);
      if (uploads !== undefined) this.uploads.close(uploads);
      if (role === 'client') this.cluster.removeClient(conn);
      else if (role === 'worker') this.cluster.removeWorkerProcess(conn, 'crashed');
      else if (role === 'dashboard') this.dashboards.remove(conn.id);
    });
    socket.on('error', (error: Error & { code?: string }) => {
      // ws closes an oversized message's connection with 1009 itself; count and log it.
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')
        breakRule('too-big', CLOSE.tooBig, error.message);
      socket.terminate();
    });
  }

  /**
   * The connection as the cluster sees it. `raw` is the TCP (or TLS) socket under the
   * WebSocket: corked from the first message of a turn of the event loop to its end, so that
   * a turn costs one write per connection, not one per message or per engine step (at volunteer
   * scale the write calls were a fifth of the scheduler's time: bench/load.ts; in the demo,
   * where every result is a step, the writes of task events to the page were a seventh).
   */
  private makeConn(socket: Endpoint, raw?: Pick<Duplex, 'cork' | 'uncork'>): Conn {
    const id = `c${this.nextConn++}`;
    let corked = false;
    const send = (message: unknown): void => {
      if (socket.readyState !== socket.OPEN) return;
      if (raw !== undefined && !corked) {
        corked = true;
        raw.cork();
        setImmediate(() => {
          corked = false;
          raw.uncork();
        });
      }
      const chunks = encodeFrame(message);
      chunks.forEach((chunk, i) =>
        socket.send(chunk, { binary: true, fin: i === chunks.length - 1 }),
      );
    };
    return {
      id,
      send,
      sendMany: (messages) => {
        for (const m of messages) send(m);
      },
      close: (code, reason) => {
        // What was queued before the close goes before it.
        this.cluster.flushNow();
        if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING)
          socket.close(code, reason);
      },
    };
  }

  private dispatch(
    conn: Conn,
    role: Hello['role'],
    message: unknown,
    breakRule: (reason: Refusal, code: number, text: string) => void,
  ): void {
    try {
      if (role === 'client') {
        const checked = checkClientMessage(message);
        if (!checked.ok)
          return breakRule('invalid', CLOSE.invalid, `invalid message: ${checked.reason}`);
        this.cluster.onClientMessage(conn, checked.message);
      } else if (role === 'worker') {
        const checked = checkWorkerMessage(message);
        if (!checked.ok)
          return breakRule('invalid', CLOSE.invalid, `invalid message: ${checked.reason}`);
        this.cluster.onWorkerMessage(conn, checked.message);
      } else {
        this.dashboards.onMessage(conn.id, message);
      }
    } catch (error) {
      // A message that breaks the rules closes its own connection, never the scheduler.
      breakRule(
        'invalid',
        CLOSE.invalid,
        `invalid message: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
