/**
 * A volunteer's direct connections to Node worker processes: WebSockets to their peer servers
 * (the `peerAddress` they registered), speaking the peer protocol of server/worker/peers.ts
 * (`hello-peer`, then `fetch` -> `data`). One connection per process, opened on first use.
 *
 * A process that cannot be reached (refused, timed out, blocked by the browser) is not tried
 * again for RETRY_AFTER_MS: `fetch` resolves undefined and the caller uses the relay.
 * Invariant: every request settles; a closed socket answers its requests as missing data.
 */
import { decodeFrame, encodeFrame } from '../wire/frame.js';
import { PROTOCOL_VERSION, type PeerWireMessage } from '../wire/protocol.js';
import { openSocket, type Socket } from '../wire/socket.js';
import type { Got } from './messages.js';

const CONNECT_TIMEOUT_MS = 2000;
const RETRY_AFTER_MS = 10_000;

interface Connection {
  socket: Socket;
  pending: Map<number, { keys: string[]; resolve: (got: Got) => void }>;
}

/** WebSockets to Node workers' peer servers. */
export class PeerSockets {
  private readonly connections = new Map<string, Promise<Connection | undefined>>();
  private readonly unreachable = new Map<string, number>();
  private nextId = 1;

  constructor(
    private readonly self: string,
    private readonly token: string | undefined,
    private readonly counted: (bytes: number, out: boolean) => void,
  ) {}

  /** Fetches from a Node process; undefined when it cannot be reached (use the relay). */
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

  /** A process left: close its connection. */
  forget(process: string): void {
    this.unreachable.delete(process);
    const conn = this.connections.get(process);
    this.connections.delete(process);
    void conn?.then((c) => c?.socket.close(1000, 'peer left'));
  }

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
      conn = this.open(process, address);
      this.connections.set(process, conn);
    }
    return conn;
  }

  private async open(process: string, address: string): Promise<Connection | undefined> {
    let socket: Socket;
    try {
      socket = await openSocket(address, CONNECT_TIMEOUT_MS);
    } catch {
      this.unreachable.set(process, Date.now());
      this.connections.delete(process);
      return undefined;
    }
    const conn: Connection = { socket, pending: new Map() };
    this.send(conn, {
      type: 'hello-peer',
      version: PROTOCOL_VERSION,
      from: this.self,
      ...(this.token !== undefined ? { token: this.token } : {}),
    });
    socket.onMessage((data) => {
      this.counted(data.byteLength, false);
      let message: PeerWireMessage;
      try {
        message = decodeFrame(data) as PeerWireMessage;
      } catch {
        socket.close(1002, 'malformed');
        return;
      }
      if (message.type !== 'data') return;
      const p = conn.pending.get(message.id);
      conn.pending.delete(message.id);
      p?.resolve({ values: message.values, missing: message.missing });
    });
    socket.onClose(() => {
      if (this.connections.get(process) !== undefined) this.connections.delete(process);
      for (const p of conn.pending.values())
        p.resolve({ values: p.keys.map(() => undefined), missing: p.keys });
      conn.pending.clear();
    });
    return conn;
  }
}
