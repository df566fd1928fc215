/**
 * What a mounted dashboard knows: the latest frame's snapshot (totals, groups, workers), the
 * task runs and transfers received so far, and a short history of rates for the charts. Frames
 * go in (`apply`); views read.
 *
 * Invariants: everything kept is bounded (MAX_RUNS, MAX_TRANSFERS, MAX_HISTORY; the oldest go
 * first), so a page left open for days stays small.
 */
import type { DashboardUpdate, TransferRun } from '../../wire/dashboard-protocol.js';

/** One task run, as the task stream draws it; times in epoch ms on the worker. */
export interface TaskRun {
  readonly key: string;
  readonly group: string;
  readonly worker: string;
  readonly start: number;
  readonly end: number;
  readonly failed: boolean;
}

/** Rates over time, for the throughput chart (seconds, tasks/s, bytes/s). */
export interface RateHistory {
  readonly time: number[];
  readonly tasksPerSecond: number[];
  readonly bytesPerSecond: number[];
}

const MAX_RUNS = 20_000;
const MAX_TRANSFERS = 2_000;
const MAX_HISTORY = 600;

/** The dashboard's state on the page. */
export class DashboardModel {
  /** The latest frame (undefined until the first arrives). */
  latest: DashboardUpdate | undefined;
  readonly runs: TaskRun[] = [];
  readonly transfers: TransferRun[] = [];
  readonly history: RateHistory = { time: [], tasksPerSecond: [], bytesPerSecond: [] };
  /** Runs the scheduler did not send to this page (too many to draw, or it fell behind). */
  skipped = 0;
  /** Frames this page missed (the scheduler's count). */
  dropped = 0;
  /** When the latest frame arrived, on this page's clock (epoch ms). */
  receivedAt = 0;
  private lastBytes: { time: number; bytes: number } | undefined;

  /** Takes in one frame. */
  apply(update: DashboardUpdate): void {
    this.latest = update;
    this.receivedAt = Date.now();
    this.dropped = update.dropped;
    const r = update.runs;
    this.skipped += r.skipped;
    for (let i = 0; i < r.keys.length; i++) {
      this.runs.push({
        key: r.keys[i] as string,
        group: r.groupNames[r.group[i] as number] ?? '',
        worker: r.workerNames[r.worker[i] as number] ?? '',
        start: r.start[i] as number,
        end: r.end[i] as number,
        failed: r.failed[i] === 1,
      });
    }
    trim(this.runs, MAX_RUNS);
    for (const t of update.transfers) this.transfers.push(t);
    trim(this.transfers, MAX_TRANSFERS);
    this.record(update);
  }

  private record(update: DashboardUpdate): void {
    const bytes = update.totals.bytesMoved;
    const previous = this.lastBytes;
    const seconds = previous === undefined ? 0 : (update.time - previous.time) / 1000;
    const bytesPerSecond =
      previous === undefined || seconds <= 0 ? 0 : Math.max(0, bytes - previous.bytes) / seconds;
    this.lastBytes = { time: update.time, bytes };
    const h = this.history;
    h.time.push(update.time / 1000);
    h.tasksPerSecond.push(update.totals.tasksPerSecond);
    h.bytesPerSecond.push(bytesPerSecond);
    if (h.time.length > MAX_HISTORY) {
      const extra = h.time.length - MAX_HISTORY;
      h.time.splice(0, extra);
      h.tasksPerSecond.splice(0, extra);
      h.bytesPerSecond.splice(0, extra);
    }
  }
}

/** Drops the oldest half when over the bound (amortised O(1) per element). */
function trim<T>(list: T[], max: number): void {
  if (list.length > max) list.splice(0, list.length - max / 2);
}
