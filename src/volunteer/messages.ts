/**
 * The messages between a volunteer page (the host: threads, WebRTC) and its router worker
 * (the scheduler connection, heartbeats, routing, spill), types only. Everything here crosses
 * postMessage, so it is plain data, MessagePorts and byte arrays.
 *
 * Why two sides: heartbeats must keep going in a background tab, whose main-thread timers
 * browsers throttle, so the scheduler socket and its timers live in a dedicated Worker; but
 * RTCPeerConnection exists only on the main thread (Chromium), so WebRTC stays on the page and
 * the router asks it to move bytes.
 */
import type { MemoryFractions } from '../worker/memory-thresholds.js';

/** What the router worker starts with. */
export interface RouterOptions {
  /** The scheduler, `ws://host:8786`. */
  readonly address: string;
  readonly name: string | undefined;
  readonly nthreads: number;
  readonly token: string | undefined;
  /** The memory limit; held results spill to IndexedDB past `fractions.target` of it. */
  readonly memoryLimit: number;
  /** The memory thresholds, as `bask worker`'s (src/worker/memory-thresholds.ts). */
  readonly fractions: MemoryFractions;
  readonly resources: Record<string, number>;
  /** Try WebRTC between browsers (else every transfer to a browser goes through the relay). */
  readonly webrtc: boolean;
  /** Milliseconds to wait for a data channel to open before using the relay instead. */
  readonly rtcTimeout: number;
  readonly heartbeatInterval: number;
  readonly heartbeatTimeout: number;
  /** A short description of the browser, for the dashboard. */
  readonly host: string;
}

/** Counters a volunteer shows (and reports with its heartbeats). */
export interface RouterStatus {
  /** Tasks finished by this volunteer's threads. */
  readonly tasksDone: number;
  /** Results held (in memory and spilled). */
  readonly keys: number;
  /** Estimated bytes of results held in memory. */
  readonly memory: number;
  /** Bytes and count of results spilled to IndexedDB. */
  readonly spilled: number;
  readonly spilledKeys: number;
  /** Per thread: keys held and tasks done. */
  readonly threads: Record<string, { keys: number; tasksDone: number }>;
  /** Bytes received and sent, by path: 'webrtc', 'peer' (WebSocket to a Node worker), 'relay'. */
  readonly bytesIn: Record<string, number>;
  readonly bytesOut: Record<string, number>;
  /** Worker processes known in the cluster (besides this one). */
  readonly processes: number;
}

/** Page -> router worker. */
export type HostToRouter =
  | { type: 'start'; options: RouterOptions }
  /** A thread is up: its task port (the other end is the thread's); `generation` counts restarts. */
  | { type: 'thread'; id: string; generation: number; port: MessagePort }
  /** A thread died (crashed or out of memory); a new one with the same id follows. */
  | { type: 'thread-exit'; id: string }
  /** One whole message received on the data channel with `peer` (a worker process id). */
  | { type: 'rtc-message'; peer: string; bytes: Uint8Array }
  | { type: 'rtc-state'; peer: string; state: 'open' | 'closed' }
  /** Signaling to send to `to` through the scheduler. */
  | { type: 'signal'; to: string; data: unknown }
  | { type: 'leave'; reason: string };

/** Router worker -> page. */
export type RouterToHost =
  | {
      type: 'welcome';
      id: string;
      name: string;
      threads: string[];
      moduleServer: string | undefined;
    }
  | { type: 'refused'; code: string; message: string }
  /** Signaling from `from`, relayed by the scheduler. */
  | { type: 'signal'; from: string; data: unknown }
  /** Send one message (a wire frame's chunks) to `peer` over WebRTC, connecting if needed. */
  | { type: 'rtc-send'; peer: string; chunks: Uint8Array[] }
  /** Give up on `peer` (timed out, or it left the cluster). */
  | { type: 'rtc-close'; peer: string }
  | { type: 'status'; status: RouterStatus }
  /** A thread reported a fatal error: replace it (unless that generation is gone already). */
  | { type: 'respawn'; id: string; generation: number }
  /** The router closed; `code` is the socket's close code when the scheduler connection ended it. */
  | { type: 'stopped'; reason: string; code?: number };

/** Values fetched, in key order, and the keys that were not there. */
export type { Got } from '../worker/scheduler-dispatch.js';
