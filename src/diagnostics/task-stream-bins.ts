/**
 * The task stream of a large run, binned by pixel: when a lane holds more tasks than can be
 * drawn one bar each (thousands of sub-pixel bars are noise and tens of thousands of DOM
 * nodes), each pixel column of the lane takes the colour of the task group that kept the
 * worker busiest in it, and runs of columns with the same group become one bar whose tooltip
 * says how many tasks it stands for and how long they ran.
 *
 * Invariant: at most one bar per pixel column per lane, whatever the task count, so the SVG's
 * size is bounded by lanes x width. Failed tasks are not binned (the caller draws them one by
 * one, on top), so an error is never hidden under a busier group.
 */
import type { TaskEndEvent } from '../hooks.js';
import { escapeXml, formatDuration, keyGroup } from './svg.js';

/** A run of pixel columns where one task group dominated. */
export interface BinnedSpan {
  readonly group: string;
  /** Left edge and width in pixels. */
  readonly x: number;
  readonly width: number;
  /** Tasks (of any group) that started in the span. */
  readonly tasks: number;
  /** Time the lane spent on `group` within the span (milliseconds). */
  readonly busy: number;
}

/**
 * Bins a lane's tasks into spans of pixel columns between `x0` and `x1`; `toX` maps a task's
 * time (milliseconds since the stream's start) to pixels.
 */
export function binLane(
  tasks: readonly TaskEndEvent[],
  toX: (t: number) => number,
  t0: number,
  x0: number,
  x1: number,
): BinnedSpan[] {
  const columns = Math.max(1, Math.ceil(x1 - x0));
  const busy = new Map<string, Float64Array>();
  const starts = new Uint32Array(columns);
  for (const r of tasks) {
    const group = keyGroup(r.key);
    let weights = busy.get(group);
    if (weights === undefined) {
      weights = new Float64Array(columns);
      busy.set(group, weights);
    }
    const a = toX(r.start - t0) - x0;
    const b = Math.max(a, toX(r.end - t0) - x0);
    const first = clamp(Math.floor(a), columns);
    starts[first] = (starts[first] ?? 0) + 1;
    // A task's time is spread over the columns it covers, in proportion to the overlap.
    const perPixel = b > a ? (r.end - r.start) / (b - a) : r.end - r.start;
    const last = clamp(Math.floor(b), columns);
    for (let c = first; c <= last; c++) {
      const overlap = b > a ? Math.min(b, c + 1) - Math.max(a, c) : 1;
      // A floor so that a zero-length task still marks its column.
      weights[c] = (weights[c] ?? 0) + (Math.max(0, overlap) * perPixel || 1e-9);
    }
  }
  const spans: BinnedSpan[] = [];
  let open: { group: string; from: number; tasks: number; busy: number } | undefined;
  for (let c = 0; c <= columns; c++) {
    const group = c < columns ? dominant(busy, c) : undefined;
    if (open !== undefined && group !== open.group) {
      spans.push({
        group: open.group,
        x: x0 + open.from,
        width: c - open.from,
        tasks: open.tasks,
        busy: open.busy,
      });
      open = undefined;
    }
    if (group === undefined) continue;
    open ??= { group, from: c, tasks: 0, busy: 0 };
    open.tasks += starts[c] ?? 0;
    open.busy += busy.get(group)?.[c] ?? 0;
  }
  return spans;
}

/** One binned span as an SVG bar with its tooltip. */
export function renderSpan(
  span: BinnedSpan,
  worker: string,
  color: string,
  y: number,
  height: number,
): string {
  const tasks = `${span.tasks.toLocaleString('en-US')} task${span.tasks === 1 ? '' : 's'}`;
  const title = `${worker} · ${tasks}, mostly ${span.group} (${formatDuration(span.busy)} busy)`;
  return (
    `<rect class="bask-span" x="${span.x.toFixed(2)}" y="${y}" width="${span.width.toFixed(2)}" ` +
    `height="${height}" fill="${color}" data-group="${escapeXml(span.group)}" data-tasks="${span.tasks}">` +
    `<title>${escapeXml(title)}</title></rect>`
  );
}

/** The group with the most busy time in column `c`, if any. */
function dominant(busy: ReadonlyMap<string, Float64Array>, c: number): string | undefined {
  let best: string | undefined;
  let most = 0;
  for (const [group, weights] of busy) {
    const w = weights[c] ?? 0;
    if (w > most) {
      most = w;
      best = group;
    }
  }
  return best;
}

function clamp(column: number, columns: number): number {
  return Math.min(columns - 1, Math.max(0, column));
}
