/**
 * A connection to the scheduler from inside its own process (`bask demo`'s local worker): the
 * scheduler's end looks like the `ws` WebSocket it accepts from the network (`Endpoint`), the
 * other end is a wire `Socket` (src/wire/socket.ts). Frames are encoded and decoded as on the
 * network, so the connection is handshaken, validated, limited and closed like any other; what
 * it skips is the WebSocket framing, masking and the system calls of a loopback TCP socket
 * (profiles of the demo: `writev` alone was a seventh of the scheduler's thread).
 *
 * Policy: each frame's chunks are copied when sent (the sender may reuse or change them), each
 * into a buffer of its own, except bytes the scheduler received from a socket and relays in
 * their pieces (never written to: wire/frame-chunks.ts), and delivered as they are: the
 * receiver decodes them without joining them into one frame, and each big buffer it decodes is
 * its own, for a worker to give to a thread without another copy. Frames are delivered in a
 * later turn of the event loop (as a socket would: never inside the sender's
 * call), in order, the frames of one turn together. Closing from either end reaches the other
 * after the frames sent before it.
 *
 * Invariant: each end hears of the close exactly once; nothing is delivered after it.
 */
import { FrameChunks } from '../../src/wire/frame.js';
import type { Socket } from '../../src/wire/socket.js';
import type { DashboardSocket } from '../dashboard/hub.js';

/** The part of a `ws` WebSocket the scheduler's server uses for one connection. */
export interface Endpoint extends DashboardSocket {
  readonly OPEN: number;
  readonly CONNECTING: number;
  on(
    event: 'message',
    listener: (data: Buffer[] | FrameChunks, isBinary: boolean) => void,
  ): unknown;
  on(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error & { code?: string }) => void): unknown;
  terminate(): void;
}

type Item = { data: FrameChunks } | { code: number; reason: string };

/** Items of one direction, delivered in order in a later turn of the event loop. */
class Mailbox {
  private items: Item[] = [];
  private scheduled = false;
  /** Bytes posted and not delivered yet. */
  bytes = 0;

  constructor(private readonly deliver: (item: Item) => void) {}

  post(item: Item): void {
    this.items.push(item);
    if ('data' in item) this.bytes += item.data.byteLength;
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    this.scheduled = false;
    const items = this.items;
    this.items = [];
    for (const item of items) {
      if ('data' in item) this.bytes -= item.data.byteLength;
      this.deliver(item);
    }
  }
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;

/** A connected pair: `server` for the scheduler to accept, `client` for the worker process. */
export function inProcessPair(): { server: Endpoint; client: Socket } {
  let open = true;
  let serverHeardClose = false;
  let clientHeardClose = false;
  const serverOn = {
    message: [] as ((data: FrameChunks, isBinary: boolean) => void)[],
    close: [] as (() => void)[],
  };
  const clientMessage: ((data: FrameChunks) => void)[] = [];
  const clientClose: ((code: number, reason: string) => void)[] = [];
  const clientHearsClose = (code: number, reason: string): void => {
    if (clientHeardClose) return;
    clientHeardClose = true;
    for (const l of clientClose) l(code, reason);
  };
  const toServer = new Mailbox((item) => {
    if (serverHeardClose) return;
    if ('data' in item) {
      for (const l of serverOn.message) l(item.data, true);
    } else {
      serverHeardClose = true;
      for (const l of serverOn.close) l();
    }
  });
  const toClient = new Mailbox((item) => {
    if (clientHeardClose) return;
    if ('data' in item) for (const l of [...clientMessage]) l(item.data);
    else clientHearsClose(item.code, item.reason);
  });
  const closeBoth = (code: number, reason: string): void => {
    if (!open) return;
    open = false;
    toServer.post({ code, reason });
    toClient.post({ code, reason });
  };

  let fragments: Uint8Array[] = [];
  const server: Endpoint = {
    OPEN,
    CONNECTING,
    get readyState() {
      return open ? OPEN : CLOSED;
    },
    get bufferedAmount() {
      return toClient.bytes;
    },
    send(data, options) {
      if (!open) return;
      fragments.push(data);
      if (!options.fin) return;
      const frame = FrameChunks.copyOf(fragments);
      fragments = [];
      toClient.post({ data: frame });
    },
    close: (code, reason) => closeBoth(code, reason),
    terminate: () => closeBoth(1006, ''),
    on(event: 'message' | 'close' | 'error', listener: (...args: never[]) => void) {
      if (event === 'message') serverOn.message.push(listener as (typeof serverOn.message)[0]);
      else if (event === 'close') serverOn.close.push(listener);
      // An in-process link has no transport errors.
      return server;
    },
  };

  const client: Socket = {
    send(chunks) {
      if (!open) return;
      toServer.post({ data: FrameChunks.copyOf(chunks) });
    },
    close(code = 1000, reason = '') {
      closeBoth(code, reason);
      // As a WebSocket's wrapper does (src/wire/socket.ts): the closing end hears it at once.
      clientHearsClose(code, reason);
    },
    onMessage(listener) {
      clientMessage.push(listener);
      return () => {
        const i = clientMessage.indexOf(listener);
        if (i >= 0) clientMessage.splice(i, 1);
      };
    },
    onClose(listener) {
      if (clientHeardClose) listener(1006, 'already closed');
      else clientClose.push(listener);
    },
    get bufferedAmount() {
      return toServer.bytes;
    },
  };
  return { server, client };
}
