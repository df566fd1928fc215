/**
 * Options of `joinCluster`, checked once (errors name the option) and resolved to what the
 * router worker and the page's WebRTC side need.
 *
 * Defaults: every core (`navigator.hardwareConcurrency`), WebRTC on with no STUN/TURN servers
 * (enough on one machine or a LAN), a memory budget of a quarter of the device's memory as the
 * browser reports it (`navigator.deviceMemory`, 512 MiB when unknown), heartbeats every 500 ms,
 * and joining again after losing the scheduler with the clients' backoff (wire/backoff.ts).
 */
import { BaskError } from '../errors.js';
import { reconnectPolicyOf, type BackoffPolicy, type ReconnectOptions } from '../wire/backoff.js';
import { resolveMemoryFractions, type MemoryFractions } from '../worker/memory-thresholds.js';
import type { RouterOptions } from './messages.js';

/** Options of {@link joinCluster}. */
export interface JoinOptions {
  /** A name for the dashboard; thread ids are `${name}/${i}` (default: given by the scheduler). */
  name?: string;
  /** Threads to give (default: `navigator.hardwareConcurrency`). */
  nthreads?: number;
  /** The scheduler's worker token (`bask scheduler --worker-token`). */
  token?: string;
  /**
   * The tab's memory limit (bytes): held results past `memoryThresholds.target` of it (0.6)
   * spill to IndexedDB, oldest first (Infinity: never spill; 0: spill everything no queued task
   * needs).
   */
  memoryLimit?: number;
  /**
   * Dask's `distributed.worker.memory.*` fractions of `memoryLimit`, as `bask worker
   * --memory-target ...`: `{ target: 0.6, spill: 0.7, pause: 0.8, terminate: 0.95 }` by default,
   * `false` turns one off. A tab measures only its held results (no process memory to read):
   * past pause it takes no new tasks; terminate does not apply.
   */
  memoryThresholds?: Partial<Record<keyof MemoryFractions, number | false>>;
  /** Abstract resources offered to `resources` restrictions, e.g. `{ GPU: 1 }`. */
  resources?: Record<string, number>;
  /** Exchange data with other browsers over WebRTC (default true; false: always the relay). */
  webrtc?: boolean;
  /**
   * WebRTC configuration: STUN/TURN servers for peers across networks (`iceServers`), ICE
   * policy... (default: none, enough on one machine or a LAN).
   */
  rtcConfiguration?: RTCConfiguration;
  /** Milliseconds to wait for a data channel before using the relay (default 5000). */
  rtcTimeout?: number;
  /** Heartbeat period and the scheduler silence that ends the volunteer (ms; 500 and 30000). */
  heartbeatInterval?: number;
  heartbeatTimeout?: number;
  /** Leave when the page is closed or navigated away (default true). */
  leaveOnUnload?: boolean;
  /**
   * When the scheduler goes away (restarted, network dropped, or it dropped this tab for
   * missed heartbeats), join again at the same address as a fresh worker, retrying with
   * backoff: `{ retries: 10, initialDelayMs: 250, maxDelayMs: 5000 }` by default, as clients
   * do; `false`: stop. Meanwhile the status is 'reconnecting'; what the tab held is gone.
   */
  reconnect?: ReconnectOptions | false;
}

/** Options as the parts of a volunteer use them. */
export interface ResolvedJoinOptions {
  readonly router: RouterOptions;
  readonly rtc: RTCConfiguration;
  readonly leaveOnUnload: boolean;
  readonly reconnect: BackoffPolicy;
}

const MiB = 1024 * 1024;

/** Checks and completes the options; throws ERR_INVALID_ARGUMENT naming a bad one. */
export function resolveJoinOptions(address: string, options: JoinOptions): ResolvedJoinOptions {
  if (typeof address !== 'string' || !/^wss?:\/\//.test(address))
    throw invalid(`address: expected ws://host:port or wss://..., got ${String(address)}`);
  const nav = globalThis.navigator as (Navigator & { deviceMemory?: number }) | undefined;
  const cores = Math.max(1, nav?.hardwareConcurrency ?? 1);
  const nthreads = options.nthreads ?? cores;
  if (!Number.isInteger(nthreads) || nthreads < 1 || nthreads > 1024)
    throw invalid(`nthreads must be an integer from 1 to 1024, got ${String(nthreads)}`);
  const device = nav?.deviceMemory;
  const memoryLimit =
    options.memoryLimit ?? (device === undefined ? 512 * MiB : (device * 1024 * MiB) / 4);
  if (memoryLimit !== Infinity) positive('memoryLimit', memoryLimit, true);
  const rtcTimeout = options.rtcTimeout ?? 5000;
  const heartbeatInterval = options.heartbeatInterval ?? 500;
  const heartbeatTimeout = options.heartbeatTimeout ?? 30_000;
  positive('rtcTimeout', rtcTimeout);
  positive('heartbeatInterval', heartbeatInterval);
  positive('heartbeatTimeout', heartbeatTimeout);
  return {
    router: {
      address,
      name: options.name,
      nthreads,
      token: options.token,
      memoryLimit,
      fractions: resolveMemoryFractions(options.memoryThresholds, 'joinCluster'),
      resources: { ...options.resources },
      webrtc: (options.webrtc ?? true) && typeof RTCPeerConnection !== 'undefined',
      rtcTimeout,
      heartbeatInterval,
      heartbeatTimeout,
      host: describeBrowser(nav),
    },
    rtc: { iceServers: [], ...options.rtcConfiguration },
    leaveOnUnload: options.leaveOnUnload ?? true,
    reconnect: reconnectPolicyOf(options.reconnect, 'joinCluster'),
  };
}

function positive(name: string, value: unknown, zero = false): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!zero && value === 0))
    throw invalid(`${name} must be a positive number, got ${String(value)}`);
}

function invalid(message: string): BaskError {
  return new BaskError('ERR_INVALID_ARGUMENT', `joinCluster: ${message}`);
}

function describeBrowser(nav: Navigator | undefined): string {
  const agent = nav?.userAgent ?? 'browser';
  const match = /(Firefox|Edg|Chrome|Safari)\/(\d+)/.exec(agent);
  return `browser ${match === null ? agent.slice(0, 40) : `${match[1]} ${match[2]}`}`;
}
