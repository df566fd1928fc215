/**
 * The one client for data held by another worker process, over its peer server's WebSocket
 * (the `peerAddress` it registered), speaking the peer protocol (`hello-peer`, then `fetch` ->
 * `data`). Node worker processes (server/worker/peers.ts) and volunteer tabs
 * (volunteer/paths.ts) both fetch through it; which socket it opens is injected (`open`, by
 * default `openSocket`: `ws` in Node, the global WebSocket in browsers). A volunteer's WebRTC
 * data channels, which the page owns, keep their requests in the same table (`PeerRequests`).
 *
 * Policy: one connection per process, opened on first use; a process that cannot be reached
 * (refused, timed out, blocked) is not tried again for RETRY_AFTER_MS: `fetch` resolves
 * undefined and the caller takes another path (the relay).
 * Invariant: every request settles; a closed socket answers its requests as missing data.
 */
import { decodeFrame, encodeFrame, type FrameData } from '../wire/frame.js';
import { PROTOCOL_VERSION, type PeerWireMessage } from '../wire/protocol.js';
import { openSocket, type Socket } from '../wire/socket.js';
import type { Got } from './scheduler-dispatch.js';

const CONNECT_TIMEOUT_MS = 2000;
const RETRY_AFTER_MS = 10_000;

/** Opens a socket to a peer server; rejects when it cannot. */
export type OpenPeerSocket = (address: string, timeoutMs: number) => Promise<Socket>;

/** Counts bytes on the wire: `out` for what this side sent. */
export type CountBytes = (bytes: number, out: boolean) => void;

/** One fetch sent to a peer and not answered yet. */
export interface PeerRequest {
  readonly thread: string;
  readonly keys: string[];
  readonly move: boolean[];
  readonly resolve: (got: Got) => void;
}

type FetchMessage = Extract<PeerWireMessage, { type: 'fetch' }>;

/**
 * The fetches sent to one peer over one channel (a WebSocket here, a WebRTC data channel in
 * volunteer/paths.ts) and not answered yet. Invariant: each settles exactly once: by its
 * `data`, or by `settleAll` when the channel is gone.
 */
export class PeerRequests {
  private nextId = 1;
  private readonly pending = new Map<number, PeerRequest>();

  /** Registers a fetch: the message to send for it, and its answer. */
  add(
    thread: string,
    keys: string[],
    move: boolean[],
  ): { message: FetchMessage; got: Promise<Got> } {
    const id = this.nextId++;
    const got = new Promise<Got>((resolve) =>
      this.pending.set(id, { thread, keys, move, resolve }),
    );
    return { message: { type: 'fetch', id, worker: thread, keys, move }, got };
  }

  /** The peer answered a fetch. */
  answer(message: Extract<PeerWireMessage, { type: 'data' }>): void {
    const request = this.pending.get(message.id);
    this.pending.delete(message.id);
    request?.resolve({ values: message.values, missing: message.missing });
  }

  /** The channel is gone: every request left answers as missing, or through `fallback`. */
  settleAll(fallback?: (request: PeerRequest) => Promise<Got>): void {
    const left = [...this.pending.values()];
    this.pending.clear();
    for (const r of left) {
      if (fallback !== undefined) void fallback(r).then(r.resolve);
      else r.resolve({ values: r.keys.map(() => undefined), missing: r.keys });
    }
  }
}

interface Connection {
  socket: Socket;
  requests: PeerRequests;
}

/** Decodes a peer message; a frame that does not decode closes the socket (undefined). */
export function decodePeerFrame(
  data: FrameData,
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
    const { message, got } = conn.requests.add(thread, keys, move);
    this.send(conn, message);
    return got;
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
    const conn: Connection = { socket, requests: new PeerRequests() };
    this.send(conn, {
      type: 'hello-peer',
      version: PROTOCOL_VERSION,
      from: this.self(),
      ...(this.token !== undefined ? { token: this.token } : {}),
    });
    socket.onMessage((data) => {
      this.counted(data.byteLength, false);
      const message = decodePeerFrame(data, socket);
      if (message?.type === 'data') conn.requests.answer(message);
    });
    socket.onClose(() => {
      this.connections.delete(process);
      conn.requests.settleAll();
    });
    return conn;
  }
}
