/**
 * The one client for data held by another worker process, over its peer server's WebSocket
 * (the `peerAddress` it registered), speaking the peer protocol (`hello-peer`, then `fetch` ->
 * `data`). Node worker processes (server/worker/peers.ts) and volunteer tabs
 * (volunteer/paths.ts) both fetch through it; which socket it opens is injected (`open`, by
 * default `openSocket`: `ws` in Node, the global WebSocket in browsers).
 *
 * Policy: one connection per process, opened on first use; a process that cannot be reached
 * (refused, timed out, blocked) is not tried again for RETRY_AFTER_MS: `fetch` resolves
 * undefined and the caller takes another path (the relay).
 * Invariant: every request settles; a closed socket answers its requests as missing data.
 */
import { decodeFrame, encodeFrame } from '../wire/frame.js';
import { PROTOCOL_VERSION, type PeerWireMessage } from '../wire/protocol.js';
import { openSocket, type Socket } from '../wire/socket.js';
import type { Got } from './scheduler-dispatch.js';

const CONNECT_TIMEOUT_MS = 2000;
const RETRY_AFTER_MS = 10_000;

/** Opens a socket to a peer server; rejects when it cannot. */
export type OpenPeerSocket = (address: string, timeoutMs: number) => Promise<Socket>;

/** Counts bytes on the wire: `out` for what this side sent. */
export type CountBytes = (bytes: number, out: boolean) => void;

interface Connection {
  socket: Socket;
  pending: Map<number, { keys: string[]; resolve: (got: Got) => void }>;
}

/** Decodes a peer message; a frame that does not decode closes the socket (undefined). */
export function decodePeerFrame(
  data: Uint8Array,
  socket: { close(code: number, reason: string): void },
): PeerWireMessage | undefined {
  try {
    return decodeFrame(data) as PeerWireMessage;
  } catch {
    socket.close(1002, 'malformed');
    return undefined;
  }
}

/** Connections to other worker processes' peer servers. */
export class PeerClient {
  private readonly connections = new Map<string, Promise<Connection | undefined>>();
  private readonly unreachable = new Map<string, number>();
  private nextId = 1;

  constructor(
    private readonly self: () => string,
    private readonly token: string | undefined,
    private readonly counted: CountBytes,
    private readonly open: OpenPeerSocket = openSocket,
  ) {}

  /** Fetches from `thread` of `process`; undefined when it cannot be reached (use the relay). */
  async fetch(
    process: string,
    address: string,
    thread: string,
    keys: string[],
    move: boolean[],
  ): Promise<Got | undefined> {
    const conn = await this.connection(process, address);
    if (conn === undefined) return undefined;
    const id = this.nextId++;
    return new Promise<Got>((resolve) => {
      conn.pending.set(id, { keys, resolve });
      this.send(conn, { type: 'fetch', id, worker: thread, keys, move });
    });
  }

  /** A process left: close its connection (its requests answer as missing). */
  forget(process: string): void {
    this.unreachable.delete(process);
    const conn = this.connections.get(process);
    this.connections.delete(process);
    void conn?.then((c) => c?.socket.close(1000, 'peer left'));
  }

  /** Closes every connection. */
  close(): void {
    for (const process of [...this.connections.keys()]) this.forget(process);
  }

  private send(conn: Connection, message: PeerWireMessage): void {
    const chunks = encodeFrame(message);
    let bytes = 0;
    for (const c of chunks) bytes += c.byteLength;
    this.counted(bytes, true);
    conn.socket.send(chunks);
  }

  private connection(process: string, address: string): Promise<Connection | undefined> {
    const failedAt = this.unreachable.get(process);
    if (failedAt !== undefined && Date.now() - failedAt < RETRY_AFTER_MS)
      return Promise.resolve(undefined);
    let conn = this.connections.get(process);
    if (conn === undefined) {
      conn = this.connect(process, address);
      this.connections.set(process, conn);
    }
    return conn;
  }

  private async connect(process: string, address: string): Promise<Connection | undefined> {
    let socket: Socket;
    try {
      socket = await this.open(address, CONNECT_TIMEOUT_MS);
    } catch {
      this.unreachable.set(process, Date.now());
      this.connections.delete(process);
      return undefined;
    }
    const conn: Connection = { socket, pending: new Map() };
    this.send(conn, {
      type: 'hello-peer',
      version: PROTOCOL_VERSION,
      from: this.self(),
      ...(this.token !== undefined ? { token: this.token } : {}),
    });
    socket.onMessage((data) => {
      this.counted(data.byteLength, false);
      const message = decodePeerFrame(data, socket);
      if (message?.type !== 'data') return;
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
}
