/**
 * A WebSocket as bask uses it: binary frames in, chunk lists out, one close callback.
 * Browsers use the global WebSocket (chunks joined into one message); Node uses `ws`, which
 * sends a chunk list as fragments of one message without joining it.
 *
 * A browser joins chunks into one reused buffer: `WebSocket.send` copies what it is given
 * before it returns (the standard says later changes to the data do not change the message),
 * and a fresh buffer per message has its pages touched anew (in a profile of a page sending
 * 47 MB of files to a cluster, ~0.2 s of its thread went to joining them; end to end, no
 * difference stood out of this VM's noise).
 *
 * Invariant: `onClose` fires exactly once, whatever ended the socket (close, error, refusal),
 * so that whoever owns pending requests can settle them all.
 */
import { BaskError } from '../errors.js';
import { joinChunks, type FrameData } from './frame.js';

/** A connected socket. */
export interface Socket {
  send(chunks: readonly Uint8Array[]): void;
  close(code?: number, reason?: string): void;
  /** Adds a listener; returns a function that removes it. */
  onMessage(listener: (data: FrameData) => void): () => void;
  onClose(listener: (code: number, reason: string) => void): void;
  /** Bytes queued and not yet sent (backpressure). */
  readonly bufferedAmount: number;
}

interface WsLike {
  binaryType: string;
  readonly bufferedAmount: number;
  send(
    data: unknown,
    options?: { binary?: boolean; fin?: boolean },
    cb?: (error?: Error) => void,
  ): void;
  close(code?: number, reason?: string): void;
  on?(event: string, listener: (...args: unknown[]) => void): void;
  addEventListener?(
    event: string,
    listener: (event: { data?: unknown; code?: number; reason?: string }) => void,
  ): void;
}

/** Wraps a connected `ws` WebSocket (Node) or browser WebSocket. */
export function wrapSocket(raw: WsLike, nodeStyle: boolean): Socket {
  const messageListeners: ((data: FrameData) => void)[] = [];
  const closeListeners: ((code: number, reason: string) => void)[] = [];
  let closed = false;
  const fireClose = (code: number, reason: string): void => {
    if (closed) return;
    closed = true;
    for (const l of closeListeners) l(code, reason);
  };
  const deliver = (data: unknown): void => {
    const bytes =
      data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : ArrayBuffer.isView(data)
          ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
          : undefined;
    if (bytes === undefined) return; // text frames are not part of the protocol
    for (const l of messageListeners) l(bytes);
  };
  if (nodeStyle && raw.on !== undefined) {
    raw.binaryType = 'nodebuffer';
    raw.on('message', (data: unknown) => deliver(data));
    raw.on('close', (code: unknown, reason: unknown) =>
      fireClose(Number(code), reason instanceof Uint8Array ? new TextDecoder().decode(reason) : ''),
    );
    raw.on('error', () => fireClose(1006, 'socket error'));
  } else if (raw.addEventListener !== undefined) {
    raw.binaryType = 'arraybuffer';
    raw.addEventListener('message', (event) => deliver(event.data));
    raw.addEventListener('close', (event) => fireClose(event.code ?? 1006, event.reason ?? ''));
    raw.addEventListener('error', () => fireClose(1006, 'socket error'));
  }
  const joined = new JoinBuffer();
  return {
    send(chunks) {
      if (closed) return;
      if (!nodeStyle || chunks.length === 1) {
        raw.send(chunks.length === 1 ? chunks[0] : joined.join(chunks));
        return;
      }
      chunks.forEach((chunk, i) => raw.send(chunk, { binary: true, fin: i === chunks.length - 1 }));
    },
    close(code = 1000, reason = '') {
      try {
        raw.close(code, reason);
      } finally {
        fireClose(code, reason);
      }
    },
    onMessage(listener) {
      messageListeners.push(listener);
      return () => {
        const i = messageListeners.indexOf(listener);
        if (i >= 0) messageListeners.splice(i, 1);
      };
    },
    onClose(listener) {
      if (closed) listener(1006, 'already closed');
      else closeListeners.push(listener);
    },
    get bufferedAmount() {
      return raw.bufferedAmount;
    },
  };
}

/** A frame this large or larger is joined into a buffer of its own, not the reused one. */
const REUSED_MAX = 16 << 20;

/** Joins chunks into one buffer kept for the next message (see the header). */
class JoinBuffer {
  private buffer: Uint8Array | undefined;

  /** The chunks joined, valid until the next call. */
  join(chunks: readonly Uint8Array[]): Uint8Array {
    return joinChunks(chunks, (n) => {
      if (n >= REUSED_MAX) return new Uint8Array(n);
      if (this.buffer === undefined || this.buffer.byteLength < n)
        this.buffer = new Uint8Array(
          Math.min(REUSED_MAX, Math.max(n, 2 * (this.buffer?.byteLength ?? 0), 64 << 10)),
        );
      return this.buffer.subarray(0, n);
    });
  }
}

/** Options of `openSocket`. */
export interface OpenSocketOptions {
  /** Node only: certificate authorities to trust for wss:// (PEM), e.g. a self-signed certificate. */
  ca?: string | readonly string[];
}

/** Opens a WebSocket to `url` (ws:// or wss://); rejects with ERR_CONNECTION when it cannot. */
export async function openSocket(
  url: string,
  timeoutMs = 10_000,
  options: OpenSocketOptions = {},
): Promise<Socket> {
  const Browser = (globalThis as { WebSocket?: new (url: string) => WsLike }).WebSocket;
  const isNode = typeof process !== 'undefined' && process.versions?.node !== undefined;
  let raw: WsLike;
  let nodeStyle = false;
  if (isNode) {
    const specifier = 'ws';
    const mod = (await import(/* @vite-ignore */ /* webpackIgnore: true */ specifier)) as {
      WebSocket: new (url: string, opts: object) => WsLike;
    };
    raw = new mod.WebSocket(url, {
      perMessageDeflate: false,
      maxPayload: 0,
      ...(options.ca !== undefined ? { ca: options.ca } : {}),
    });
    nodeStyle = true;
  } else if (Browser !== undefined) {
    raw = new Browser(url);
  } else {
    throw new BaskError('ERR_CONNECTION', 'No WebSocket implementation in this runtime');
  }
  const socket = wrapSocket(raw, nodeStyle);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new BaskError('ERR_CONNECTION', `Could not connect to ${url} within ${timeoutMs} ms`));
      socket.close(1000, 'connect timeout');
    }, timeoutMs);
    const opened = (): void => {
      clearTimeout(timer);
      resolve();
    };
    if (nodeStyle && raw.on !== undefined) raw.on('open', opened);
    else raw.addEventListener?.('open', opened);
    socket.onClose((code, reason) => {
      clearTimeout(timer);
      reject(
        new BaskError(
          'ERR_CONNECTION',
          `Could not connect to ${url}: ${reason || `closed with code ${code}`}. Is a bask scheduler running there?`,
        ),
      );
    });
  });
  return socket;
}
