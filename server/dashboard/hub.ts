/**
 * The dashboard hub: follows the cluster for the connected dashboards and pushes each of them a
 * frame (wire/dashboard-protocol.ts) at most every FRAME_INTERVAL_MS.
 *
 * Policy — the dashboards must never slow the scheduler:
 * - No dashboard connected: the hub is detached (no hooks on the cluster, no timer), no work.
 * - Per task result: one ring-buffer entry (no allocation), one counter in the group book.
 * - Per frame: the snapshot (totals, groups, workers) is built once and shared; dashboards at
 *   the same place in the stream share one encoded frame. Scans of the engine are cost-bound
 *   (groups.ts, graph.ts).
 * - Task runs: a frame carries at most MAX_RUNS_PER_FRAME (20,000 per second, more than a page
 *   draws), an even sample ending with the newest when there are more; the rest are counted as
 *   skipped. So the cost of streaming is bounded whatever the cluster's throughput.
 * - Backpressure: a dashboard whose socket still holds more than HIGH_WATER_BYTES misses the
 *   frame (counted in `stats.framesDropped` and in its next frame's `dropped`). Nothing is queued
 *   per dashboard: its next frame samples the runs since its last one (those the ring still
 *   holds), and the ones it missed are reported as skipped. So a stalled dashboard costs at most HIGH_WATER_BYTES plus one frame of memory.
 */
import { BaskError } from '../../src/errors.js';
import { encodeFrame, joinChunks } from '../../src/wire/frame.js';
import type { DashboardUpdate, ToDashboard } from '../../src/wire/dashboard-protocol.js';
import type { Cluster } from '../scheduler/cluster.js';
import { ClusterFollower } from './follower.js';
import { GraphSnapshots } from './graph.js';
import { hubMetricsText, type HubStats } from './metrics.js';

export type { HubStats };
import type { RunRing } from './ring.js';

/** The part of a WebSocket (`ws`) the hub uses. */
export interface DashboardSocket {
  readonly bufferedAmount: number;
  readonly readyState: number;
  send(data: Uint8Array, options: { binary: boolean; fin: boolean }): void;
  close(code: number, reason: string): void;
}

/** Options of the hub (tests shrink them). */
export interface DashboardHubOptions {
  /** Milliseconds between frames (default FRAME_INTERVAL_MS); 0: no timer, call `tick`. */
  interval?: number;
  /** A dashboard with more bytes than this waiting in its socket misses frames. */
  highWater?: number;
  /** Task runs kept for the task stream. */
  ringCapacity?: number;
}

interface Dashboard {
  readonly socket: DashboardSocket;
  runCursor: number;
  /** Frames sent to it. */
  frames: number;
  transferCursor: number;
  dropped: number;
  graphWanted: number | undefined;
  lastGraph: number;
}

/** At most ~10 frames per second. */
export const FRAME_INTERVAL_MS = 100;
/** Default bytes a dashboard may have waiting before it misses frames. */
export const HIGH_WATER_BYTES = 1024 * 1024;
/** At most this many task runs per frame (an even sample when there are more). */
export const MAX_RUNS_PER_FRAME = 2000;
/** A dashboard's first frame carries up to this many recent runs (a page reload keeps them). */
const HISTORY_RUNS = 10_000;
const RING_CAPACITY = 20_000;
const MAX_DASHBOARDS = 32;
/** With nothing new, a frame still goes out this often (heartbeat ages, rates falling to 0). */
const IDLE_FRAME_MS = 1000;
const GRAPH_INTERVAL_MS = 1000;
const OPEN = 1;

/** Follows the cluster for the dashboards and pushes them frames. */
export class DashboardHub {
  readonly stats: HubStats = {
    framesSent: 0,
    framesDropped: 0,
    bytesSent: 0,
    maxBuffered: 0,
    refused: 0,
    busyMs: 0,
  };
  private readonly dashboards = new Map<string, Dashboard>();
  private readonly follower: ClusterFollower;
  private readonly graphs = new GraphSnapshots();
  private readonly interval: number;
  private readonly highWater: number;
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastFrame = 0;

  constructor(
    private readonly cluster: Cluster,
    options: DashboardHubOptions = {},
  ) {
    this.interval = options.interval ?? FRAME_INTERVAL_MS;
    this.highWater = options.highWater ?? HIGH_WATER_BYTES;
    this.follower = new ClusterFollower(cluster, options.ringCapacity ?? RING_CAPACITY);
  }

  /** The recent task runs. */
  get ring(): RunRing {
    return this.follower.ring;
  }

  /** Dashboards connected. */
  get size(): number {
    return this.dashboards.size;
  }

  /** Whether the hub follows the cluster (some dashboard is connected). */
  get isFollowing(): boolean {
    return this.follower.isAttached;
  }

  /** A dashboard connected (after its hello); it gets its first frame at the next tick. */
  add(id: string, socket: DashboardSocket): void {
    if (this.dashboards.size >= MAX_DASHBOARDS) {
      this.stats.refused++;
      socket.close(1013, `too many dashboards (at most ${MAX_DASHBOARDS})`);
      return;
    }
    if (!this.follower.isAttached) this.follow();
    const ring = this.follower.ring;
    this.dashboards.set(id, {
      socket,
      runCursor: Math.max(ring.first, ring.next - HISTORY_RUNS),
      frames: 0,
      transferCursor: 0,
      dropped: 0,
      graphWanted: undefined,
      lastGraph: 0,
    });
    this.follower.dirty = true;
  }

  /** A dashboard went away; the last one detaches the hub. */
  remove(id: string): void {
    if (!this.dashboards.delete(id)) return;
    if (this.dashboards.size === 0) this.unfollow();
  }

  /** A message from a dashboard: only graph requests exist; anything else is refused. */
  onMessage(id: string, message: unknown): void {
    const d = this.dashboards.get(id);
    const request = message as { type?: unknown; id?: unknown };
    if (request.type !== 'graph' || typeof request.id !== 'number')
      throw new BaskError('ERR_PROTOCOL', 'Dashboards may only send graph requests');
    if (d === undefined) return;
    d.graphWanted = request.id;
    this.answerGraph(d, Date.now());
  }

  /** Sends due frames; the timer calls it every `interval` ms (tests call it directly). */
  tick(now = Date.now()): void {
    if (this.dashboards.size === 0) return;
    const began = performance.now();
    try {
      this.frame(now);
    } finally {
      this.stats.busyMs += performance.now() - began;
    }
  }

  /** Stops following and closes every dashboard connection. */
  close(): void {
    for (const d of this.dashboards.values()) d.socket.close(1001, 'scheduler closing');
    this.dashboards.clear();
    this.unfollow();
  }

  /** The hub's lines for /metrics (Prometheus text). */
  metricsText(): string {
    return hubMetricsText(this.dashboards.size, {
      ...this.stats,
      busyMs: this.stats.busyMs + this.follower.busyMs,
    });
  }

  private follow(): void {
    this.follower.attach(Date.now());
    if (this.interval > 0) {
      this.timer = setInterval(() => this.tick(), this.interval);
      this.timer.unref();
    }
  }

  private unfollow(): void {
    this.follower.detach();
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private frame(now: number): void {
    const follower = this.follower;
    const moved = follower.observe(now);
    for (const d of this.dashboards.values()) this.answerGraph(d, now);
    if (follower.dirty) follower.groups.markChanged();
    const due = follower.groups.isDue(now);
    if (!follower.dirty && !moved && !due && now - this.lastFrame < IDLE_FRAME_MS) return;
    follower.dirty = false;
    this.lastFrame = now;
    const shared = follower.snapshot(now, this.dashboards.size);
    const ring = follower.ring;
    // Dashboards at the same place in the stream get the same bytes.
    const encoded = new Map<string, Uint8Array>();
    for (const d of this.dashboards.values()) {
      if (d.socket.readyState !== OPEN) continue;
      const buffered = d.socket.bufferedAmount;
      this.stats.maxBuffered = Math.max(this.stats.maxBuffered, buffered);
      if (buffered > this.highWater) {
        d.dropped++;
        this.stats.framesDropped++;
        follower.dirty = true;
        continue;
      }
      const max = d.frames === 0 ? HISTORY_RUNS : MAX_RUNS_PER_FRAME;
      const share = `${d.runCursor}:${d.transferCursor}:${d.dropped}:${max}`;
      let message = encoded.get(share);
      const runs = ring.read(d.runCursor, max);
      if (message === undefined) {
        const frame: DashboardUpdate = {
          ...shared,
          dropped: d.dropped,
          runs,
          transfers: follower.transfers.since(d.transferCursor),
        };
        // One buffer: one socket write per dashboard instead of one per chunk.
        message = joinChunks(encodeFrame(frame));
        encoded.set(share, message);
      }
      this.send(d, [message]);
      this.stats.framesSent++;
      d.frames++;
      d.runCursor = ring.next;
      d.transferCursor = follower.transfers.next;
    }
  }

  private answerGraph(d: Dashboard, now: number): void {
    if (d.graphWanted === undefined || now - d.lastGraph < GRAPH_INTERVAL_MS) return;
    if (d.socket.readyState !== OPEN || d.socket.bufferedAmount > this.highWater) return;
    const message: ToDashboard = {
      type: 'graph',
      id: d.graphWanted,
      graph: this.graphs.get(this.cluster.engine, now),
    };
    d.graphWanted = undefined;
    d.lastGraph = now;
    this.send(d, encodeFrame(message));
  }

  private send(d: Dashboard, chunks: readonly Uint8Array[]): void {
    for (let i = 0; i < chunks.length; i++) {
      const chunk = chunks[i] as Uint8Array;
      d.socket.send(chunk, { binary: true, fin: i === chunks.length - 1 });
      this.stats.bytesSent += chunk.byteLength;
    }
    this.stats.maxBuffered = Math.max(this.stats.maxBuffered, d.socket.bufferedAmount);
  }
}
