/**
 * Data between worker processes. Each process runs a small WebSocket server (port 0) that
 * answers fetches for data its threads hold; a process that needs such data connects to the
 * holder's server directly, and falls back to the scheduler relay when it cannot (no route,
 * refused, timed out). Bytes moved are counted per path ('peer' or 'relay') for the dashboard.
 *
 * Every request settles: a closed connection or a gone peer answers as missing data, and the
 * engine recomputes or re-fetches.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeFrame, encodeFrame } from '../../src/wire/frame.js';
import {
  PROTOCOL_VERSION,
  type FromWorkerProcess,
  type PeerWireMessage,
  type WorkerInfo,
} from '../../src/wire/protocol.js';
import { openSocket, type Socket } from '../../src/wire/socket.js';
import { sizeof } from '../../src/worker/sizeof.js';

type Serve = (
  thread: string,
  keys: string[],
  move: boolean[],
) => Promise<{ values: unknown[]; missing: string[] }>;
type Got = { values: unknown[]; missing: string[] };

const CONNECT_TIMEOUT_MS = 2000;
const RETRY_DIRECT_AFTER_MS = 10_000;

interface PeerConnection {
  socket: Socket;
  pending: Map<number, { keys: string[]; resolve: (got: Got) => void }>;
}

/** The peer server of this process and its connections to other processes. */
export class PeerNetwork {
  readonly bytesOut: Record<string, number> = {};
  readonly bytesIn: Record<string, number> = {};
  private readonly threads = new Map<string, WorkerInfo>();
  private readonly connections = new Map<string, Promise<PeerConnection | undefined>>();
  private readonly unreachable = new Map<string, number>();
  private readonly relays = new Map<number, (got: Got) => void>();
  private nextId = 1;
  private serve: Serve = (_t, keys) =>
    Promise.resolve({ values: keys.map(() => undefined), missing: keys });
  private self = '';

  private constructor(
    private readonly http: Server,
    private readonly wss: WebSocketServer,
    readonly address: string,
    private readonly token: string | undefined,
  ) {
    wss.on('connection', (socket) => this.accept(socket));
  }

  /** Starts the peer server on `host`, port 0. */
  static async listen(host: string, token?: string): Promise<PeerNetwork> {
    const http = createServer((_req, res) => res.writeHead(426).end());
    const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(0, host, () => resolve());
    });
    const port = (http.address() as AddressInfo).port;
    return new PeerNetwork(
      http,
      wss,
      `ws://${host.includes(':') ? `[${host}]` : host}:${port}`,
      token,
    );
  }

  /** This process's id at the scheduler and how to read its threads' data. */
  setLocal(processId: string, serve: Serve): void {
    this.self = processId;
    this.serve = serve;
  }

  /** Keeps the table of threads in other processes up to date. */
  update(added: readonly WorkerInfo[], removed: readonly string[]): void {
    for (const w of added) if (w.process !== this.self) this.threads.set(w.id, w);
    for (const id of removed) this.threads.delete(id);
  }

  /** Fetches keys held by `thread` (in another process): direct when possible, else relayed. */
  async fetch(
    thread: string,
    keys: string[],
    move: boolean[],
    toScheduler: (m: FromWorkerProcess) => void,
  ): Promise<Got> {
    const info = this.threads.get(thread);
    if (info === undefined) return { values: keys.map(() => undefined), missing: keys };
    const direct =
      info.peerAddress === undefined
        ? undefined
        : await this.connection(info.process, info.peerAddress);
    if (direct !== undefined) {
      const id = this.nextId++;
      const got = await new Promise<Got>((resolve) => {
        direct.pending.set(id, { keys, resolve });
        direct.socket.send(
          encodeFrame({ type: 'fetch', id, worker: thread, keys, move } satisfies PeerWireMessage),
        );
      });
      return got;
    }
    const id = this.nextId++;
    return new Promise<Got>((resolve) => {
      this.relays.set(id, resolve);
      toScheduler({ type: 'relay-fetch', id, to: thread, keys, move });
    });
  }

  /** The scheduler relayed the answer to a fetch. */
  relayed(id: number, values: unknown[], missing: string[]): void {
    this.bytesIn['relay'] = (this.bytesIn['relay'] ?? 0) + sizeof(values);
    const resolve = this.relays.get(id);
    this.relays.delete(id);
    resolve?.({ values, missing });
  }

  close(): void {
    for (const resolve of this.relays.values()) resolve({ values: [], missing: [] });
    this.relays.clear();
    for (const c of this.connections.values())
      void c.then((conn) => conn?.socket.close(1000, 'closing'));
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
    this.http.close();
    this.http.closeAllConnections();
  }

  private connection(process: string, address: string): Promise<PeerConnection | undefined> {
    const failedAt = this.unreachable.get(process);
    if (failedAt !== undefined && Date.now() - failedAt < RETRY_DIRECT_AFTER_MS)
      return Promise.resolve(undefined);
    let conn = this.connections.get(process);
    if (conn === undefined) {
      conn = this.open(process, address);
      this.connections.set(process, conn);
    }
    return conn;
  }

  private async open(process: string, address: string): Promise<PeerConnection | undefined> {
    let socket: Socket;
    try {
      socket = await openSocket(address, CONNECT_TIMEOUT_MS);
    } catch {
      this.unreachable.set(process, Date.now());
      this.connections.delete(process);
      return undefined;
    }
    const conn: PeerConnection = { socket, pending: new Map() };
    socket.send(
      encodeFrame({
        type: 'hello-peer',
        version: PROTOCOL_VERSION,
        from: this.self,
        ...(this.token !== undefined ? { token: this.token } : {}),
      } satisfies PeerWireMessage),
    );
    socket.onMessage((data) => {
      let message: PeerWireMessage;
      try {
        message = decodeFrame(data) as PeerWireMessage;
      } catch {
        socket.close(1002, 'malformed');
        return;
      }
      if (message.type !== 'data') return;
      this.bytesIn['peer'] = (this.bytesIn['peer'] ?? 0) + data.byteLength;
      const p = conn.pending.get(message.id);
      conn.pending.delete(message.id);
      p?.resolve({ values: message.values, missing: message.missing });
    });
    socket.onClose(() => {
      this.connections.delete(process);
      for (const p of conn.pending.values())
        p.resolve({ values: p.keys.map(() => undefined), missing: p.keys });
      conn.pending.clear();
    });
    return conn;
  }

  private accept(socket: WebSocket): void {
    let greeted = false;
    socket.on('message', (data: Buffer) => {
      let message: PeerWireMessage;
      try {
        message = decodeFrame(data) as PeerWireMessage;
      } catch {
        socket.close(1002, 'malformed');
        return;
      }
      if (!greeted) {
        greeted =
          message.type === 'hello-peer' &&
          message.version === PROTOCOL_VERSION &&
          (this.token === undefined || message.token === this.token);
        if (!greeted) socket.close(1008, 'refused');
        return;
      }
      if (message.type !== 'fetch') return;
      void this.serve(message.worker, message.keys, message.move).then((got) => {
        const chunks = encodeFrame({
          type: 'data',
          id: message.id,
          values: got.values,
          missing: got.missing,
        } satisfies PeerWireMessage);
        let bytes = 0;
        chunks.forEach((chunk, i) => {
          bytes += chunk.byteLength;
          socket.send(chunk, { binary: true, fin: i === chunks.length - 1 });
        });
        this.bytesOut['peer'] = (this.bytesOut['peer'] ?? 0) + bytes;
      });
    });
    socket.on('error', () => socket.terminate());
  }
}
