/**
 * `bask scheduler` as a running server: a WebSocket endpoint (clients, worker processes,
 * dashboards) and an HTTP endpoint (dashboard pages, /health, /metrics, task modules), both
 * bound to 127.0.0.1 unless told otherwise. The engine work happens in `Cluster`; this file
 * owns sockets, the handshake, heartbeats and shutdown.
 *
 * Handshake: the first message must be a `hello` within HELLO_TIMEOUT_MS, with the protocol
 * version (a mismatch is refused with ERR_PROTOCOL_VERSION) and, when tokens are set, the
 * token of its role. Anything malformed closes that connection only; the scheduler lives on.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { BaskError } from '../../src/errors.js';
import { decodeFrame, encodeFrame } from '../../src/wire/frame.js';
import { PROTOCOL_VERSION, type Hello, type Welcome } from '../../src/wire/protocol.js';
import { DashboardHub } from '../dashboard/hub.js';
import { Cluster, type Conn } from './cluster.js';
import { handleHttp, type HttpContext } from './http.js';

/** Options of a scheduler server. */
export interface SchedulerOptions {
  /** WebSocket port (default 8786; 0 picks a free one). */
  port?: number;
  /** HTTP dashboard port (default 8787; 0 picks a free one). */
  dashboardPort?: number;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Secret clients must present (default: none, localhost only). */
  clientToken?: string;
  /** Secret worker processes must present. */
  workerToken?: string;
  /** How often worker processes must be heard from (ms, default 500). */
  heartbeatInterval?: number;
  /** A worker silent this long is removed (ms, default 3000). */
  heartbeatTimeout?: number;
  /** Largest message accepted (bytes, default 1 GiB). */
  maxMessageBytes?: number;
  /** A folder of static files served at `/` (the demo). */
  staticRoot?: string;
}

const HELLO_TIMEOUT_MS = 5000;

/** A running scheduler. */
export class SchedulerServer {
  readonly cluster = new Cluster();
  /** Live dashboards (server/dashboard/): idle while none is connected. */
  readonly dashboards = new DashboardHub(this.cluster);
  private readonly sockets = new Set<WebSocket>();
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private nextConn = 1;
  private closed = false;

  private constructor(
    private readonly options: SchedulerOptions,
    private readonly ws: WebSocketServer,
    private readonly wsHttp: HttpServer,
    private readonly http: HttpServer,
  ) {}

  /** Starts listening; resolves once both ports are bound. */
  static async start(options: SchedulerOptions = {}): Promise<SchedulerServer> {
    const host = options.host ?? '127.0.0.1';
    const wsHttp = createServer((_req, res) => {
      res
        .writeHead(426, { 'content-type': 'text/plain' })
        .end('bask scheduler: connect with a WebSocket client\n');
    });
    const ws = new WebSocketServer({
      server: wsHttp,
      maxPayload: options.maxMessageBytes ?? 1024 ** 3,
      perMessageDeflate: false,
    });
    const http = createServer();
    const server = new SchedulerServer(options, ws, wsHttp, http);
    ws.on('connection', (socket) => server.accept(socket));
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
    server.startHeartbeat();
    return server;
  }

  /** `ws://host:port` of the scheduler. */
  get address(): string {
    return `ws://${this.hostForUrl()}:${(this.wsHttp.address() as AddressInfo).port}`;
  }

  /** `http://host:port` of the dashboard server. */
  get httpAddress(): string {
    return `http://${this.hostForUrl()}:${(this.http.address() as AddressInfo).port}`;
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
    };
  }

  // ---- connections ------------------------------------------------------------------------

  private accept(socket: WebSocket): void {
    this.sockets.add(socket);
    const conn = this.makeConn(socket);
    let role: Hello['role'] | undefined;
    const helloTimer = setTimeout(() => conn.close(1008, 'no hello'), HELLO_TIMEOUT_MS);
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      let message: unknown;
      try {
        if (!isBinary)
          throw new BaskError('ERR_PROTOCOL', 'text frames are not part of the protocol');
        message = decodeFrame(data);
      } catch {
        this.cluster.metrics.count('malformedMessages');
        conn.close(1002, 'malformed message');
        return;
      }
      if (role === undefined) {
        clearTimeout(helloTimer);
        role = this.handshake(conn, message);
        if (role === 'dashboard') this.dashboards.add(conn.id, socket);
        return;
      }
      this.dispatch(conn, role, message);
    });
    socket.on('close', () => {
      clearTimeout(helloTimer);
      this.sockets.delete(socket);
      if (role === 'client') this.cluster.removeClient(conn);
      else if (role === 'worker') this.cluster.removeWorkerProcess(conn, 'crashed');
      else if (role === 'dashboard') this.dashboards.remove(conn.id);
    });
    socket.on('error', () => socket.terminate());
  }

  private makeConn(socket: WebSocket): Conn {
    const id = `c${this.nextConn++}`;
    return {
      id,
      send: (message) => {
        if (socket.readyState !== socket.OPEN) return;
        const chunks = encodeFrame(message);
        chunks.forEach((chunk, i) =>
          socket.send(chunk, { binary: true, fin: i === chunks.length - 1 }),
        );
      },
      close: (code, reason) => {
        if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING)
          socket.close(code, reason);
      },
    };
  }

  private handshake(conn: Conn, message: unknown): Hello['role'] | undefined {
    const hello = message as Partial<Hello>;
    const refuse = (code: string, text: string): undefined => {
      conn.send({ type: 'refused', code, message: text } satisfies Welcome);
      conn.close(1008, code);
      this.cluster.metrics.count('refusedConnections');
      return undefined;
    };
    if (hello === null || typeof hello !== 'object' || hello.type !== 'hello')
      return refuse('ERR_PROTOCOL', 'The first message must be a hello');
    if (hello.version !== PROTOCOL_VERSION) {
      return refuse(
        'ERR_PROTOCOL_VERSION',
        `Protocol version mismatch: this scheduler speaks version ${PROTOCOL_VERSION}, the peer speaks ${String(hello.version)}. Use the same bask version on every machine.`,
      );
    }
    const role = hello.role;
    if (role !== 'client' && role !== 'worker' && role !== 'dashboard')
      return refuse('ERR_PROTOCOL', `Unknown role ${String(role)}`);
    const token =
      role === 'worker'
        ? this.options.workerToken
        : role === 'client'
          ? this.options.clientToken
          : undefined;
    if (token !== undefined && hello.token !== token)
      return refuse('ERR_AUTH', `Wrong or missing ${role} token`);
    if (role === 'worker') {
      if (!isWorkerInfo(hello.worker))
        return refuse('ERR_PROTOCOL', 'A worker hello needs worker information');
      const workers = this.cluster.addWorkerProcess(conn, hello as Hello);
      conn.send({
        type: 'welcome',
        version: PROTOCOL_VERSION,
        id: conn.id,
        workers,
        http: this.httpAddress,
      } satisfies Welcome);
    } else {
      if (role === 'client') this.cluster.addClient(conn, hello as Hello);
      conn.send({ type: 'welcome', version: PROTOCOL_VERSION, id: conn.id } satisfies Welcome);
    }
    return role;
  }

  private dispatch(conn: Conn, role: Hello['role'], message: unknown): void {
    if (
      message === null ||
      typeof message !== 'object' ||
      typeof (message as { type?: unknown }).type !== 'string'
    ) {
      this.cluster.metrics.count('malformedMessages');
      conn.close(1002, 'malformed message');
      return;
    }
    try {
      if (role === 'client') this.cluster.onClientMessage(conn, message as never);
      else if (role === 'worker') this.cluster.onWorkerMessage(conn, message as never);
      else if (role === 'dashboard') this.dashboards.onMessage(conn.id, message);
    } catch (error) {
      // A message that breaks the rules closes its own connection, never the scheduler.
      this.cluster.metrics.count('rejectedMessages');
      console.error(
        `bask scheduler: closing ${conn.id}:`,
        error instanceof Error ? error.message : error,
      );
      conn.close(1008, 'invalid message');
    }
  }

  private startHeartbeat(): void {
    const interval = this.options.heartbeatInterval ?? 500;
    const timeout = this.options.heartbeatTimeout ?? 3000;
    this.heartbeat = setInterval(() => {
      const now = Date.now();
      for (const p of [...this.cluster.processes.values()]) {
        if (now - p.lastSeen > timeout) {
          p.conn.close(4000, 'missed heartbeats');
          this.cluster.removeWorkerProcess(p.conn, 'crashed');
        } else {
          p.conn.send({ type: 'ping' });
        }
      }
    }, interval);
    this.heartbeat.unref();
  }
}

function isWorkerInfo(value: unknown): value is Hello['worker'] {
  const w = value as Hello['worker'];
  return (
    w !== undefined &&
    w !== null &&
    typeof w === 'object' &&
    Number.isInteger(w.nthreads) &&
    w.nthreads > 0 &&
    w.nthreads <= 1024
  );
}

function listen(server: HttpServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new BaskError(
              'ERR_INVALID_ARGUMENT',
              `Port ${port} on ${host} is in use: pick another with --port/--dashboard-port (0 for any free port)`,
            )
          : error,
      );
    });
    server.listen(port, host, () => resolve());
  });
}

function closeServer(server: HttpServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
