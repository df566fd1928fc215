/**
 * What the dashboards are told about the cluster: the follower hooks into the cluster while it
 * is attached (some dashboard connected) and keeps the recent task runs (ring.ts), progress by
 * group (groups.ts), transfers (workers.ts), counters and the task rate; `snapshot` turns them
 * into the shared part of a frame. The hub (hub.ts) decides who gets what, when.
 *
 * Policy: per task result, one ring entry and one counter (no allocation: the group name is
 * the key's prefix, and runs of one group reuse the previous name). Detached, it costs nothing:
 * the cluster's hooks are back to what they were.
 */
import { keyGroup } from '../../src/graph/groups.js';
import type { DashboardUpdate } from '../../src/wire/dashboard-protocol.js';
import type { TaskResult } from '../../src/wire/pool-protocol.js';
import type { Cluster } from '../scheduler/cluster.js';
import { GroupBook } from './groups.js';
import { RateWindow } from './metrics.js';
import { RunRing } from './ring.js';
import { TransferWatch, workerStatuses } from './workers.js';

/** The part of a frame every dashboard shares. */
export type SharedFrame = Omit<DashboardUpdate, 'dropped' | 'runs' | 'transfers'>;

const MAX_GROUPS = 200;

/** Follows the cluster for the dashboards. */
export class ClusterFollower {
  readonly groups = new GroupBook();
  readonly transfers = new TransferWatch();
  /** Something happened since the last frame (set by the hooks, cleared by the hub). */
  dirty = false;
  /** Milliseconds spent recording results. */
  busyMs = 0;
  private readonly rate = new RateWindow();
  private runRing: RunRing | undefined;
  private attached = false;
  private since = 0;
  private tasksDone = 0;
  private tasksErred = 0;
  private lastGroup = '';
  private previousStep: Cluster['onStep'];
  private previousResults: Cluster['onResults'];

  constructor(
    private readonly cluster: Cluster,
    private readonly ringCapacity: number,
  ) {}

  /** The recent task runs (allocated when first needed). */
  get ring(): RunRing {
    return (this.runRing ??= new RunRing(this.ringCapacity));
  }

  /** Whether the hooks are in place. */
  get isAttached(): boolean {
    return this.attached;
  }

  /** Hooks into the cluster and starts counting from what the engine holds now. */
  attach(now: number): void {
    if (this.attached) return;
    const cluster = this.cluster;
    this.attached = true;
    const previousStep = (this.previousStep = cluster.onStep);
    const previousResults = (this.previousResults = cluster.onResults);
    cluster.onStep = (instructions, events) => {
      previousStep?.(instructions, events);
      this.dirty = true;
    };
    cluster.onResults = (worker, results) => {
      previousResults?.(worker, results);
      this.record(worker, results);
    };
    this.groups.seed(cluster.engine, now);
    this.transfers.reset(cluster, now);
    this.tasksDone = 0;
    this.tasksErred = 0;
    this.since = now;
    this.dirty = true;
  }

  /** Puts the cluster's hooks back as they were. */
  detach(): void {
    if (!this.attached) return;
    this.attached = false;
    this.cluster.onStep = this.previousStep;
    this.cluster.onResults = this.previousResults;
  }

  /** Samples the task rate and the workers' counters; true when data moved since last time. */
  observe(now: number): boolean {
    this.rate.sample(now, this.tasksDone);
    const before = this.transfers.next;
    this.transfers.observe(this.cluster, now);
    return this.transfers.next !== before;
  }

  /** Totals, groups and workers as of now. */
  snapshot(now: number, dashboards: number): SharedFrame {
    const cluster = this.cluster;
    this.groups.refresh(cluster.engine, now);
    const workers = workerStatuses(cluster);
    const { groups, omitted } = this.groups.list(MAX_GROUPS);
    let bytesMoved = 0;
    let bytesHeld = 0;
    let keysHeld = 0;
    for (const w of workers) {
      for (const n of Object.values(w.bytesOut)) bytesMoved += n;
      bytesHeld += w.bytes;
      keysHeld += w.keys;
    }
    return {
      type: 'update',
      time: now,
      totals: {
        tasksDone: this.tasksDone,
        tasksErred: this.tasksErred,
        tasksPerSecond: this.rate.perSecond(),
        bytesMoved,
        bytesHeld,
        keysHeld,
        states: this.groups.states(),
        processes: cluster.processes.size,
        threads: cluster.engine.workers.size,
        clients: cluster.clients.size,
        dashboards,
        groupsOmitted: omitted,
        since: this.since,
      },
      groups,
      workers,
    };
  }

  /** Task results, as the cluster gets them: one ring entry and one count each. */
  private record(worker: string, results: readonly TaskResult[]): void {
    const began = performance.now();
    const ring = this.ring;
    for (const r of results) {
      if (r.missing !== undefined) continue;
      // The engine's task group is the key's prefix; runs of one group skip the slice.
      const key = r.key;
      const last = this.lastGroup;
      const group =
        last !== '' && key.lastIndexOf('-') === last.length && key.startsWith(last)
          ? last
          : (this.lastGroup = keyGroup(key));
      const failed = r.error !== undefined;
      ring.push(key, group, worker, r.start, r.end, failed);
      this.groups.count(group, failed);
      if (failed) this.tasksErred++;
      else this.tasksDone++;
    }
    this.dirty = true;
    this.busyMs += performance.now() - began;
  }
}
