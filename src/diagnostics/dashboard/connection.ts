/**
 * A dashboard's connection to a `bask scheduler`: a WebSocket with a `hello` of role
 * 'dashboard', then `update` frames and answers to graph requests (wire/dashboard-protocol.ts).
 * Works in browsers and in Node (benchmarks, tests).
 *
 * Policy: a connection that fails or drops is retried (1 s, then up to every 5 s) until
 * `close()`; a refusal (protocol version, too many dashboards) is reported and not retried.
 * Graph requests pending when the socket closes reject with ERR_CONNECTION.
 */
import { BaskError } from '../../errors.js';
import { decodeFrame, encodeFrame } from '../../wire/frame.js';
import { PROTOCOL_VERSION, type Welcome } from '../../wire/protocol.js';
import type {
  DashboardRequest,
  DashboardUpdate,
  GraphSnapshot,
  ToDashboard,
} from '../../wire/dashboard-protocol.js';
import { openSocket, type Socket } from '../../wire/socket.js';

/** Where a dashboard connection is. */
export type ConnectionStatus =
  | { state: 'connecting' }
  | { state: 'open' }
  | { state: 'retrying'; reason: string }
  | { state: 'closed'; reason: string };

/** Options of a dashboard connection. */
export interface DashboardConnectionOptions {
  /** Retry after failures and drops (default true). */
  reconnect?: boolean;
  /** The scheduler's client token, when it has one (dashboards follow the client rule). */
  token?: string;
}

const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 5000;

/** A live feed from a scheduler's dashboard hub. */
export class DashboardConnection {
  private socket: Socket | undefined;
  private closed = false;
  private retryMs = RETRY_FIRST_MS;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private nextId = 1;
  private readonly graphs = new Map<
    number,
    { resolve: (g: GraphSnapshot) => void; reject: (e: Error) => void }
  >();
  private readonly updateListeners = new Set<(update: DashboardUpdate) => void>();
  private readonly statusListeners = new Set<(status: ConnectionStatus) => void>();
  private current: ConnectionStatus = { state: 'connecting' };

  /** Starts connecting to `address` (`ws://host:port`) in the background. */
  constructor(
    readonly address: string,
    private readonly options: DashboardConnectionOptions = {},
  ) {
    if (typeof address !== 'string' || !/^wss?:\/\//.test(address)) {
      throw new BaskError(
        'ERR_INVALID_ARGUMENT',
        `A dashboard needs a scheduler address (ws://host:port), got ${String(address)}`,
      );
    }
    void this.connect();
  }

  /** The connection's state now. */
  get status(): ConnectionStatus {
    return this.current;
  }

  /** Calls `listener` with every frame; returns a function that stops it. */
  onUpdate(listener: (update: DashboardUpdate) => void): () => void {
    this.updateListeners.add(listener);
    return () => this.updateListeners.delete(listener);
  }

  /** Calls `listener` with every change of state (and the state now); returns a stopper. */
  onStatus(listener: (status: ConnectionStatus) => void): () => void {
    this.statusListeners.add(listener);
    listener(this.current);
    return () => this.statusListeners.delete(listener);
  }

  /** Asks the scheduler for its task graph (answered at most about once per second). */
  requestGraph(): Promise<GraphSnapshot> {
    const socket = this.socket;
    if (socket === undefined || this.current.state !== 'open')
      return Promise.reject(new BaskError('ERR_CONNECTION', 'The dashboard is not connected'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.graphs.set(id, { resolve, reject });
      socket.send(encodeFrame({ type: 'graph', id } satisfies DashboardRequest));
    });
  }

  /** Disconnects for good. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.socket?.close(1000, 'dashboard closed');
    this.setStatus({ state: 'closed', reason: 'closed' });
  }

  private async connect(): Promise<void> {
    this.setStatus({ state: 'connecting' });
    let socket: Socket;
    try {
      socket = await openSocket(this.address);
    } catch (error) {
      this.retry(error instanceof Error ? error.message : String(error));
      return;
    }
    if (this.closed) {
      socket.close(1000, 'dashboard closed');
      return;
    }
    this.socket = socket;
    let welcomed = false;
    socket.onMessage((data) => {
      const message = decodeFrame(data) as Welcome | ToDashboard;
      if (!welcomed) {
        welcomed = true;
        if (message.type === 'refused') {
          this.closed = true;
          this.setStatus({ state: 'closed', reason: `${message.code}: ${message.message}` });
          socket.close(1000, 'refused');
          return;
        }
        this.retryMs = RETRY_FIRST_MS;
        this.setStatus({ state: 'open' });
        return;
      }
      this.deliver(message as ToDashboard);
    });
    socket.onClose((code, reason) => {
      this.socket = undefined;
      const error = new BaskError('ERR_CONNECTION', `The dashboard connection closed (${code})`);
      for (const pending of this.graphs.values()) pending.reject(error);
      this.graphs.clear();
      this.retry(reason || `closed with code ${code}`);
    });
    const token = this.options.token;
    socket.send(
      encodeFrame({
        type: 'hello',
        version: PROTOCOL_VERSION,
        role: 'dashboard',
        ...(token !== undefined ? { token } : {}),
      }),
    );
  }

  private deliver(message: ToDashboard): void {
    if (message.type === 'update') {
      for (const l of this.updateListeners) l(message);
    } else if (message.type === 'graph') {
      this.graphs.get(message.id)?.resolve(message.graph);
      this.graphs.delete(message.id);
    }
  }

  private retry(reason: string): void {
    if (this.closed) return;
    if (this.options.reconnect === false) {
      this.closed = true;
      this.setStatus({ state: 'closed', reason });
      return;
    }
    this.setStatus({ state: 'retrying', reason });
    this.retryTimer = setTimeout(() => void this.connect(), this.retryMs);
    this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
  }

  private setStatus(status: ConnectionStatus): void {
    this.current = status;
    for (const l of this.statusListeners) l(status);
  }
}
