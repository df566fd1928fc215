/**
 * How a volunteer's router gets data held by other worker processes, and serves its own:
 *
 * - another browser: over a WebRTC data channel (the page opens it; signaling goes through the
 *   scheduler), the 'webrtc' path;
 * - a Node worker: straight to its peer server over a WebSocket, the 'peer' path;
 * - otherwise, or when the first two cannot connect: through the scheduler, the 'relay' path.
 *
 * Which process holds a thread's data, and its peer server if it has one, comes with the run
 * that needs it (known-holders.ts): a volunteer never holds the cluster's whole table.
 *
 * A data channel that does not open within `rtcTimeout`, or that closes with requests in
 * flight, sends those requests through the relay instead, and that peer is not tried again
 * for RETRY_AFTER_MS: the caller never sees the difference. Bytes are counted per path, both
 * ways, requests included.
 *
 * Invariant: every fetch settles (a gone peer answers as missing data, and the engine
 * recomputes).
 */
import { decodeFrame, encodeFrame } from '../wire/frame.js';
import type { FromWorkerProcess, PeerWireMessage, WorkerInfo } from '../wire/protocol.js';
import type { Got, RouterToHost } from './messages.js';

export type { Got };
import { buffersOf } from '../local/thread-port.js';
import { KnownHolders } from '../worker/known-holders.js';
import { PeerClient, PeerRequests } from '../worker/peer-client.js';

/** Serves keys held by one of this volunteer's threads. */
export type Serve = (thread: string, keys: string[], move: boolean[]) => Promise<Got>;

interface RtcPeer {
  state: 'connecting' | 'open';
  requests: PeerRequests;
  timer: ReturnType<typeof setTimeout> | undefined;
}

const RETRY_AFTER_MS = 10_000;

/** The data paths of one volunteer. */
export class DataPaths {
  readonly bytesIn: Record<string, number> = {};
  readonly bytesOut: Record<string, number> = {};
  /** Holders in other processes, as the runs that fetch from them said. */
  private readonly holders: KnownHolders;
  private readonly rtc = new Map<string, RtcPeer>();
  private readonly rtcFailed = new Map<string, number>();
  private readonly relays = new Map<number, { keys: string[]; resolve: (got: Got) => void }>();
  private readonly sockets: PeerClient;
  private nextId = 1;

  constructor(
    private readonly self: string,
    private readonly options: { webrtc: boolean; rtcTimeout: number; token: string | undefined },
    private readonly toScheduler: (message: FromWorkerProcess) => void,
    private readonly toHost: (message: RouterToHost, transfer?: Transferable[]) => void,
    private readonly serve: Serve,
  ) {
    this.holders = new KnownHolders(
      () => self,
      (process) => this.peerLeft(process),
    );
    this.sockets = new PeerClient(
      () => self,
      options.token,
      (bytes, out) => this.count(out ? this.bytesOut : this.bytesIn, 'peer', bytes),
    );
  }

  /** Notes where threads of other processes are (a run fetches from them). */
  learn(holders: readonly WorkerInfo[]): void {
    this.holders.learn(holders);
  }

  /** Worker processes this one has been told to fetch from. */
  get processes(): number {
    return this.holders.processes;
  }

  /** Fetches keys held by `thread` of another process, by the best path that works. */
  fetch(thread: string, keys: string[], move: boolean[]): Promise<Got> {
    const info = this.holders.get(thread);
    if (info === undefined)
      return Promise.resolve({ values: keys.map(() => undefined), missing: keys });
    if (info.peerAddress !== undefined) {
      const address = info.peerAddress;
      return this.sockets
        .fetch(info.process, address, thread, keys, move)
        .then((got) => got ?? this.relay(thread, keys, move));
    }
    const failedAt = this.rtcFailed.get(info.process);
    if (!this.options.webrtc || (failedAt !== undefined && Date.now() - failedAt < RETRY_AFTER_MS))
      return this.relay(thread, keys, move);
    return this.rtcFetch(info.process, thread, keys, move);
  }

  private rtcFetch(process: string, thread: string, keys: string[], move: boolean[]): Promise<Got> {
    let peer = this.rtc.get(process);
    if (peer === undefined) {
      peer = { state: 'connecting', requests: new PeerRequests(), timer: undefined };
      this.rtc.set(process, peer);
      // Timed here, in the worker: the page's timers are throttled in background tabs.
      peer.timer = setTimeout(() => this.rtcFail(process), this.options.rtcTimeout);
    }
    const { message, got } = peer.requests.add(thread, keys, move);
    this.rtcSend(process, message);
    return got;
  }

  private rtcSend(process: string, message: PeerWireMessage): void {
    const chunks = encodeFrame(message);
    let bytes = 0;
    for (const c of chunks) bytes += c.byteLength;
    this.count(this.bytesOut, 'webrtc', bytes);
    this.toHost({ type: 'rtc-send', peer: process, chunks }, buffersOf(chunks));
  }

  /** The page says a data channel opened or closed. */
  rtcState(process: string, state: 'open' | 'closed'): void {
    const peer = this.rtc.get(process);
    if (state === 'open') {
      this.rtcFailed.delete(process);
      if (peer === undefined) {
        this.rtc.set(process, { state: 'open', requests: new PeerRequests(), timer: undefined });
        return;
      }
      clearTimeout(peer.timer);
      peer.state = 'open';
    } else if (peer !== undefined) {
      this.rtcFail(process);
    }
  }

  /** A channel did not open in time or closed: what was in flight goes through the relay. */
  private rtcFail(process: string): void {
    const peer = this.rtc.get(process);
    if (peer === undefined) return;
    this.rtc.delete(process);
    clearTimeout(peer.timer);
    if (peer.state === 'connecting') this.rtcFailed.set(process, Date.now());
    this.toHost({ type: 'rtc-close', peer: process });
    peer.requests.settleAll((r) => this.relay(r.thread, r.keys, r.move));
  }

  /** One whole message from the data channel with `process`. */
  rtcMessage(process: string, bytes: Uint8Array): void {
    this.count(this.bytesIn, 'webrtc', bytes.byteLength);
    let message: PeerWireMessage;
    try {
      message = decodeFrame(bytes) as PeerWireMessage;
    } catch {
      this.rtcFail(process);
      return;
    }
    if (message.type === 'fetch') {
      void this.serve(message.worker, message.keys, message.move).then((got) =>
        this.rtcSend(process, {
          type: 'data',
          id: message.id,
          values: got.values,
          missing: got.missing,
        }),
      );
    } else if (message.type === 'data') {
      this.rtc.get(process)?.requests.answer(message);
    }
  }

  /** Through the scheduler. */
  relay(thread: string, keys: string[], move: boolean[]): Promise<Got> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.relays.set(id, { keys, resolve });
      this.toScheduler({ type: 'relay-fetch', id, to: thread, keys, move });
    });
  }

  /** The scheduler relayed the answer to a fetch. */
  relayed(id: number, values: unknown[], missing: string[]): void {
    const relay = this.relays.get(id);
    this.relays.delete(id);
    relay?.resolve({ values, missing });
  }

  /** Adds bytes to a path's counter. */
  count(table: Record<string, number>, path: string, bytes: number): void {
    table[path] = (table[path] ?? 0) + bytes;
  }

  private peerLeft(process: string): void {
    this.rtcFailed.delete(process);
    this.sockets.forget(process);
    const peer = this.rtc.get(process);
    if (peer === undefined) return;
    this.rtc.delete(process);
    clearTimeout(peer.timer);
    this.toHost({ type: 'rtc-close', peer: process });
    peer.requests.settleAll();
  }

  /** Settles everything in flight as missing and closes every connection. */
  close(): void {
    for (const process of [...this.rtc.keys()]) this.peerLeft(process);
    for (const r of this.relays.values())
      r.resolve({ values: r.keys.map(() => undefined), missing: r.keys });
    this.relays.clear();
    this.sockets.close();
  }
}
