/**
 * A data link between two workers over a port of their own: each side asks the other for
 * keys it needs and answers the other's requests from its store. Values move (transfer) when
 * the engine said this is their last use, else they are copied.
 *
 * No promise hangs: `close()` (the peer died) settles every pending request as missing data,
 * and the engine recomputes what was lost.
 */
import type { PeerMessage } from '../wire/pool-protocol.js';
import { CloneEncoder, decodeWithImports } from '../wire/clone.js';
import { sizeof } from './sizeof.js';

/** What a port must offer (a MessagePort in browsers and in Node). */
export interface PortLike {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  start?(): void;
  close?(): void;
}

/** What a worker gave its peers. */
export interface ServedCounters {
  bytesMoved: number;
  bytesCopied: number;
  fetchesServed: number;
}

interface Pending {
  resolve: (result: { values: Map<string, unknown>; missing: string[] }) => void;
  keys: string[];
}

/** One side of a worker-to-worker data link. */
export class PeerLink {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listener = (event: MessageEvent): void => {
    void this.onMessage(event.data as PeerMessage);
  };
  private closed = false;

  constructor(
    private readonly port: PortLike,
    private readonly store: Map<string, unknown>,
    private readonly importModule: (url: string) => Promise<unknown>,
    private readonly served: ServedCounters = { bytesMoved: 0, bytesCopied: 0, fetchesServed: 0 },
  ) {
    port.addEventListener('message', this.listener);
    port.start?.();
  }

  /** Asks the peer for `keys`; resolves with what it had. */
  request(
    keys: string[],
    move: boolean[],
  ): Promise<{ values: Map<string, unknown>; missing: string[] }> {
    if (this.closed) return Promise.resolve({ values: new Map(), missing: keys });
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, { resolve, keys });
      this.port.postMessage({ type: 'fetch', id, keys, move } satisfies PeerMessage);
    });
  }

  /** Stops using the link; pending requests resolve as missing. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.port.removeEventListener('message', this.listener);
    this.port.close?.();
    for (const p of this.pending.values()) p.resolve({ values: new Map(), missing: p.keys });
    this.pending.clear();
  }

  private async onMessage(message: PeerMessage): Promise<void> {
    if (message.type === 'fetch') {
      this.serve(message.id, message.keys, message.move);
      return;
    }
    const p = this.pending.get(message.id);
    if (p === undefined) return;
    this.pending.delete(message.id);
    const values = new Map<string, unknown>();
    const missing = new Set(message.missing);
    try {
      const decoded = message.marked
        ? ((await decodeWithImports(message.values, this.importModule)) as unknown[])
        : message.values;
      p.keys.forEach((key, i) => {
        if (!missing.has(key)) values.set(key, decoded[i]);
      });
      p.resolve({ values, missing: [...missing] });
    } catch {
      p.resolve({ values: new Map(), missing: p.keys });
    }
  }

  private serve(id: number, keys: string[], move: boolean[]): void {
    this.served.fetchesServed++;
    const copy = new CloneEncoder(false);
    const give = new CloneEncoder(true);
    const values: unknown[] = [];
    const missing: string[] = [];
    keys.forEach((key, i) => {
      if (!this.store.has(key)) {
        missing.push(key);
        values.push(undefined);
        return;
      }
      const moving = move[i] === true;
      const value = this.store.get(key);
      values.push((moving ? give : copy).encode(value));
      if (moving) this.store.delete(key);
      if (moving) this.served.bytesMoved += sizeof(value);
      else this.served.bytesCopied += sizeof(value);
    });
    const reply: PeerMessage = {
      type: 'data',
      id,
      values,
      missing,
      marked: copy.marked || give.marked,
    };
    try {
      this.port.postMessage(reply, give.transfer);
    } catch {
      // A value that cannot be cloned: the requester treats it as missing and the engine recomputes.
      this.port.postMessage({
        type: 'data',
        id,
        values: [],
        missing: keys,
        marked: false,
      } satisfies PeerMessage);
    }
  }
}
