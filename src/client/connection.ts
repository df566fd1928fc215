/**
 * A client's connection to its scheduler, kept up across the scheduler's restarts: one socket
 * at a time, opened and greeted (`hello` as a client), and opened again with backoff
 * (wire/backoff.ts, the same policy `bask worker` uses) when it drops.
 *
 * States: 'connected' (a socket that was welcomed) -> 'reconnecting' (it dropped; retrying)
 * -> 'connected' again, or 'closed' (the client closed, the retries ran out, or the scheduler
 * refused for good). Each welcomed socket is one `generation`: whatever was said on an older one
 * (keys, uploads, requests) means nothing to the new one, which is the owner's business
 * (remote.ts). `ready()` waits through a reconnection and rejects once closed; no waiter is left
 * behind.
 */
import { BaskError } from '../errors.js';
import {
  CLOSE_CODES_FINAL,
  reconnectPolicyOf,
  retryWithBackoff,
  type BackoffPolicy,
  type ReconnectOptions,
} from '../wire/backoff.js';
import type { FrameData } from '../wire/frame.js';
import { handshake } from '../wire/handshake.js';
import { PROTOCOL_VERSION } from '../wire/protocol.js';
import { openSocket, type Socket } from '../wire/socket.js';

/**
 * Close codes after which a client does not reconnect: those of every role (a token, an
 * invalid message, a protocol version), and those where the scheduler threw this client out
 * for what it sent (over its rate, 4003; a message too big, 1009; malformed, 1002): connecting
 * again would hide the cause, which the pending futures report instead (ERR_CONNECTION).
 */
const CLIENT_CLOSE_CODES_FINAL: ReadonlySet<number> = new Set([
  ...CLOSE_CODES_FINAL,
  1002,
  1009,
  4003,
]);

/** What `client.status` says of the connection. */
export type ConnectionStatus = 'connected' | 'reconnecting' | 'closed';

export type { ReconnectOptions };

/** What opening a connection needs (a subset of `ClientOptions`). */
export interface ConnectOptions {
  name?: string;
  token?: string;
  timeout?: number;
  ca?: string | readonly string[];
  reconnect?: ReconnectOptions | false;
}

/** What the owner hears from its connection. */
export interface ConnectionListener {
  message(data: FrameData): void;
  /** The socket dropped; a reconnection starts (unless `closed` follows at once). */
  disconnected(error: BaskError): void;
  /** A new socket was welcomed (a new generation). */
  reconnected(): void;
  /** For good: the client closed, the retries ran out, or the scheduler refused. */
  closed(error: BaskError): void;
}

/** A scheduler connection that reopens itself. */
export class Connection {
  private socket: Socket;
  private state: ConnectionStatus = 'connected';
  private readonly aborted = new AbortController();
  private waiting: { resolve: () => void; reject: (error: Error) => void }[] = [];
  private closeError: BaskError | undefined;
  /** Counts welcomed sockets: a message queued on an older one is not sent on a newer. */
  generation = 0;
  /** This client's id at the scheduler (its current connection). */
  id: string;
  /**
   * Where this connection may upload Files' bytes ahead of a submission (an http(s) URL;
   * wire/uploaded.ts), or undefined where the scheduler offers none or `fetch` could not reach
   * it as the socket does (a custom `ca`).
   */
  upload: string | undefined;

  private constructor(
    readonly address: string,
    private readonly options: ConnectOptions,
    private readonly policy: BackoffPolicy,
    private readonly listener: ConnectionListener,
    opened: Opened,
  ) {
    this.socket = opened.socket;
    this.id = opened.id;
    this.upload = opened.upload;
    this.attach();
  }

  /** Connects once (no retry: a scheduler that is not there fails the call with ERR_CONNECTION). */
  static async open(
    address: string,
    options: ConnectOptions,
    listener: ConnectionListener,
  ): Promise<Connection> {
    const policy = reconnectPolicyOf(options.reconnect, 'Client.connect');
    return new Connection(address, options, policy, listener, await greet(address, options));
  }

  get status(): ConnectionStatus {
    return this.state;
  }

  /** Resolves once connected (now, or after a reconnection); rejects once closed for good. */
  ready(): Promise<void> {
    if (this.state === 'connected') return Promise.resolve();
    if (this.state === 'closed') return Promise.reject(this.closedError());
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  /** Sends on the current socket; throws when not connected. */
  send(chunks: readonly Uint8Array[]): void {
    if (this.state !== 'connected')
      throw this.state === 'closed'
        ? this.closedError()
        : new BaskError('ERR_CONNECTION', `Reconnecting to the scheduler at ${this.address}`);
    this.socket.send(chunks);
  }

  /** Drops the current socket (a protocol error): a reconnection follows, as for any drop. */
  drop(code: number, reason: string): void {
    if (this.state === 'connected') this.socket.close(code, reason);
  }

  /** Closes for good (the client closed): stops retrying; waiters reject with ERR_CLIENT_CLOSED. */
  close(): void {
    if (this.state === 'closed') return;
    const wasConnected = this.state === 'connected';
    this.finish(new BaskError('ERR_CLIENT_CLOSED', 'The client was closed'));
    if (wasConnected) this.socket.close(1000, 'client closed');
  }

  private attach(): void {
    const socket = this.socket;
    socket.onMessage((data) => this.listener.message(data));
    socket.onClose((code, reason) => {
      if (socket === this.socket && this.state === 'connected') this.socketOnClose(code, reason);
    });
  }

  private socketOnClose(code: number, reason: string): void {
    const error = new BaskError(
      'ERR_CONNECTION',
      `Lost the connection to the scheduler at ${this.address} (${code}${reason === '' ? '' : ` ${reason}`})`,
    );
    if (this.policy.retries === 0 || CLIENT_CLOSE_CODES_FINAL.has(code)) return this.finish(error);
    this.state = 'reconnecting';
    this.listener.disconnected(error);
    void this.reconnect();
  }

  private async reconnect(): Promise<void> {
    try {
      const opened = await retryWithBackoff(() => greet(this.address, this.options), this.policy, {
        signal: this.aborted.signal,
        giveUp: (last, tries) =>
          new BaskError(
            'ERR_CONNECTION',
            `Gave up reconnecting to the scheduler at ${this.address} after ${tries} attempt${tries === 1 ? '' : 's'}. Last try: ${last.message}`,
            { cause: last },
          ),
      });
      if (opened === undefined || this.state !== 'reconnecting') {
        opened?.socket.close(1000, 'client closed');
        return;
      }
      this.socket = opened.socket;
      this.id = opened.id;
      this.upload = opened.upload;
      this.generation++;
      this.state = 'connected';
      this.attach();
      this.listener.reconnected();
      const waiting = this.waiting;
      this.waiting = [];
      for (const w of waiting) w.resolve();
    } catch (error) {
      this.finish(
        error instanceof BaskError ? error : new BaskError('ERR_CONNECTION', String(error)),
      );
    }
  }

  private finish(error: BaskError): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closeError = error;
    this.aborted.abort();
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) w.reject(error);
    this.listener.closed(error);
  }

  private closedError(): BaskError {
    return this.closeError ?? new BaskError('ERR_CLIENT_CLOSED', 'The client was closed');
  }
}

/** A welcomed socket: this client's id on it, and where it may upload. */
interface Opened {
  socket: Socket;
  id: string;
  upload: string | undefined;
}

/** Opens a socket and says hello as a client; rejects with ERR_CONNECTION or the refusal. */
async function greet(address: string, options: ConnectOptions): Promise<Opened> {
  const socket = await openSocket(
    address,
    options.timeout,
    options.ca === undefined ? {} : { ca: options.ca },
  );
  const welcome = await handshake(socket, {
    type: 'hello',
    version: PROTOCOL_VERSION,
    role: 'client',
    ...(options.name !== undefined ? { name: options.name } : {}),
    ...(options.token !== undefined ? { token: options.token } : {}),
  });
  return { socket, id: welcome.id, upload: uploadUrl(address, welcome.upload, options) };
}

/**
 * The upload URL on the scheduler's own host and port (the one the socket reached), for a
 * path the welcome gave, under the address's own path (a proxy that serves the scheduler at
 * `wss://host/bask` forwards `/bask/u/...` too); undefined without one, or with a custom `ca`
 * (`fetch` would not use it), or where there is no `fetch`.
 */
export function uploadUrl(
  address: string,
  path: unknown,
  options: ConnectOptions,
): string | undefined {
  if (typeof path !== 'string' || !/^\/u\/[\w-]{1,64}$/.test(path)) return undefined;
  if (options.ca !== undefined || typeof fetch !== 'function') return undefined;
  const url = new URL(address);
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') return undefined;
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  url.pathname = url.pathname.replace(/\/+$/, '') + path;
  url.search = '';
  url.hash = '';
  return url.href;
}
