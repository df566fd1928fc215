/**
 * `Profiler` (Dask's `dask.diagnostics.Profiler`): records every task's key, worker, start,
 * end and error from the `taskEnd` hook, draws them as a task stream, summarises them by task
 * group, and puts each task on the browser's performance timeline.
 *
 * ```ts
 * const prof = new Profiler();
 * await compute(x, { callbacks: [prof] });
 * prof.results;        // [{ key, worker, start, end, duration, error? }, ...]
 * prof.visualize();    // SVG string
 * ```
 *
 * Policy: results are cleared when a run starts (not when a run overlapping another one
 * starts, so a registered profiler sees both). Each task becomes a `performance.measure`
 * named after its key, with DevTools' extensibility `detail` so Chrome's Performance panel
 * shows a "bask" track per worker; runtimes without `performance.measure` skip this, and
 * `{ measure: false }` turns it off (user timing entries stay in the global timeline until
 * `performance.clearMeasures()`, which matters for runs of millions of tasks).
 */
import type { Callbacks, FinishEvent, StartEvent, TaskEndEvent } from '../hooks.js';
import { Diagnostic } from './base.js';
import { formatDuration, keyGroup } from './svg.js';
import {
  errorText,
  renderTaskStream,
  type TaskRecord,
  type TaskStreamOptions,
} from './task-stream.js';

export type { TaskRecord, TaskStreamOptions } from './task-stream.js';

/** Options of {@link Profiler}. */
export interface ProfilerOptions {
  /** Add a `performance.measure` entry per task (default true). */
  measure?: boolean;
}

/** Per task group totals from {@link Profiler.summary}; durations in milliseconds. */
export interface GroupSummary {
  /** The key prefix before the last '-'. */
  readonly group: string;
  readonly count: number;
  /** How many of its tasks failed. */
  readonly errors: number;
  readonly total: number;
  readonly mean: number;
}

/** The part of the Performance API used here; any of it may be missing in a runtime. */
interface Timeline {
  readonly timeOrigin?: number;
  measure?(name: string, options: { start: number; end: number; detail?: unknown }): unknown;
}

/** Records the tasks of computations. */
export class Profiler extends Diagnostic implements Callbacks {
  private records: TaskRecord[] = [];
  private running = 0;
  private readonly measure: boolean;

  constructor(options: ProfilerOptions = {}) {
    super();
    this.measure = options.measure ?? true;
  }

  /** The tasks of the last run (and of runs overlapping it), in the order they ended. */
  get results(): readonly TaskRecord[] {
    return this.records;
  }

  /** Hook: a computation starts; a new run (none in flight) clears the results. */
  start(_event: StartEvent): void {
    if (this.running++ === 0) this.records = [];
  }

  /** Hook: records the task and puts it on the performance timeline. */
  taskEnd(event: TaskEndEvent): void {
    const { key, worker, start, end, duration } = event;
    const record: TaskRecord =
      event.error === undefined
        ? { key, worker, start, end, duration }
        : { key, worker, start, end, duration, error: event.error };
    this.records.push(record);
    if (this.measure) measureTask(record);
  }

  /** Hook: a computation ended. */
  finish(_event: FinishEvent): void {
    if (this.running > 0) this.running--;
  }

  /** Forgets the recorded tasks. */
  clear(): void {
    this.records = [];
  }

  /** The task stream as an SVG string: a lane per worker, a bar per task. */
  visualize(options: TaskStreamOptions = {}): string {
    return renderTaskStream(this.records, options);
  }

  /** Counts and durations per task group, the largest total first. */
  summary(): GroupSummary[] {
    const byGroup = new Map<string, { count: number; errors: number; total: number }>();
    for (const r of this.records) {
      const group = keyGroup(r.key);
      const entry = byGroup.get(group) ?? { count: 0, errors: 0, total: 0 };
      entry.count++;
      entry.total += r.duration;
      if (r.error !== undefined) entry.errors++;
      byGroup.set(group, entry);
    }
    return [...byGroup]
      .map(([group, e]) => ({
        group,
        count: e.count,
        errors: e.errors,
        total: e.total,
        mean: e.total / e.count,
      }))
      .sort((a, b) => b.total - a.total);
  }
}

/**
 * Adds the task to the performance timeline. Times are converted from epoch ms to the
 * timeline's origin; a task timed by another worker may fall outside this timeline (clock
 * skew, before timeOrigin), and a diagnostic must never fail a computation over that.
 */
function measureTask(record: TaskRecord): void {
  const perf = (globalThis as { performance?: Timeline }).performance;
  if (perf === undefined || typeof perf.measure !== 'function' || perf.timeOrigin === undefined)
    return;
  const failed = record.error !== undefined;
  const properties: [string, string][] = [
    ['worker', record.worker],
    ['duration', formatDuration(record.duration)],
  ];
  if (failed) properties.push(['error', errorText(record.error)]);
  try {
    perf.measure(record.key, {
      start: record.start - perf.timeOrigin,
      end: record.end - perf.timeOrigin,
      // Chrome DevTools' Performance panel extensibility API: a custom track per worker.
      detail: {
        devtools: {
          dataType: 'track-entry',
          trackGroup: 'bask',
          track: record.worker,
          color: failed ? 'error' : 'primary',
          tooltipText: `${record.key} (${formatDuration(record.duration)})`,
          properties,
        },
      },
    });
  } catch {
    // Out-of-range times or a timeline that rejects the entry: the record itself is kept.
  }
}
