/**
 * The task stream as an SVG string (Dask's Profiler plot / the dashboard's task stream): one
 * labelled lane per worker, one bar per task from its start to its end, coloured by task group,
 * failed tasks in red, a time axis from the first start, and a legend of the groups.
 *
 * Policy: up to MAX_BARS tasks, one bar each (at least 1px wide so that short tasks stay
 * visible). Past that, bars would be sub-pixel noise and tens of thousands of DOM nodes, so
 * each lane is binned by pixel column (task-stream-bins.ts: at most one bar per column, each
 * saying how many tasks it stands for), and failed tasks are drawn one by one on top (the
 * longest MAX_BARS of them). The SVG's size is then bounded by lanes x width, whatever the
 * task count: a 100k-task profile never hangs a page.
 */
import { scaleLinear } from 'd3-scale';
import type { TaskEndEvent } from '../hooks.js';
import {
  CHAR_WIDTH,
  ERROR_COLOR,
  escapeXml,
  formatDuration,
  groupColors,
  keyGroup,
  openSvg,
  renderTimeAxis,
} from './svg.js';
import { binLane, renderSpan } from './task-stream-bins.js';

/** One task as the Profiler recorded it (its `taskEnd` event); times are epoch milliseconds. */
export type TaskRecord = TaskEndEvent;

/** Options of the task stream chart. */
export interface TaskStreamOptions {
  /** Width of the SVG in pixels (default 800). */
  width?: number;
}

const MAX_BARS = 2_000;
const MAX_LEGEND = 12;
const LANE_HEIGHT = 22;
const BAR_HEIGHT = 16;
const BAR_GAP = (LANE_HEIGHT - BAR_HEIGHT) / 2;
const TOP = 8;
const RIGHT = 12;
const AXIS_HEIGHT = 26;
const LEGEND_HEIGHT = 18;

const workerOrder = new Intl.Collator('en', { numeric: true }).compare;

/** A failed task's error in one line, for tooltips. */
export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The time span of the records and their tasks by worker (lanes in natural order). */
function layoutRecords(records: readonly TaskRecord[]): {
  t0: number;
  span: number;
  lanes: Map<string, TaskRecord[]>;
} {
  // Loops, not Math.min(...spread): a spread of 100k+ arguments overflows the stack.
  let t0 = Number.POSITIVE_INFINITY;
  let t1 = Number.NEGATIVE_INFINITY;
  const byWorker = new Map<string, TaskRecord[]>();
  for (const r of records) {
    t0 = Math.min(t0, r.start);
    t1 = Math.max(t1, r.end);
    const lane = byWorker.get(r.worker);
    if (lane === undefined) byWorker.set(r.worker, [r]);
    else lane.push(r);
  }
  const lanes = new Map([...byWorker].sort(([a], [b]) => workerOrder(a, b)));
  // A floor of 1 µs only guards the division: sub-millisecond runs get a sub-millisecond axis.
  return { t0, span: Math.max(1e-3, t1 - t0), lanes };
}

/** Renders recorded tasks as a task stream SVG. */
export function renderTaskStream(
  records: readonly TaskRecord[],
  options: TaskStreamOptions = {},
): string {
  const width = Math.max(200, Math.floor(options.width ?? 800));
  if (records.length === 0) {
    return `${openSvg('bask-task-stream', width, 40, 'Task stream')}<text x="8" y="24" fill="#666">No tasks recorded</text></svg>`;
  }
  const binned = records.length > MAX_BARS;
  // Binned: failed tasks still get a bar each (the longest MAX_BARS of them).
  const failed = binned ? records.filter((r) => r.error !== undefined) : [];
  const shown = binned
    ? new Set(failed.sort((a, b) => b.duration - a.duration).slice(0, MAX_BARS))
    : undefined;
  const omitted = failed.length - (shown?.size ?? 0);
  const { t0, span, lanes } = layoutRecords(records);
  const colors = groupColors(records.map((r) => keyGroup(r.key)));
  const longestName = Math.max(0, ...[...lanes.keys()].map((w) => w.length));
  const left = Math.min(220, Math.max(48, longestName * CHAR_WIDTH + 16));
  const x = scaleLinear()
    .domain([0, span])
    .range([left, width - RIGHT]);
  const lanesBottom = TOP + lanes.size * LANE_HEIGHT;
  const hasLegend = colors.size <= MAX_LEGEND;
  const notes = (binned ? 1 : 0) + (omitted > 0 ? 1 : 0);
  const height =
    lanesBottom + AXIS_HEIGHT + (hasLegend ? LEGEND_HEIGHT : 0) + notes * LEGEND_HEIGHT;

  const parts = [
    openSvg('bask-task-stream', width, height, `Task stream of ${records.length} tasks`),
  ];
  let lane = 0;
  for (const [worker, tasks] of lanes) {
    const laneTop = TOP + lane * LANE_HEIGHT;
    const bars = tasks
      .filter((r) => shown?.has(r) ?? true)
      .map((r) => renderBar(r, colors, x(r.start - t0), x(r.end - t0), laneTop));
    if (binned) {
      const ok = tasks.filter((r) => r.error === undefined);
      const spans = binLane(ok, x, t0, left, width - RIGHT).map((span) =>
        renderSpan(span, worker, colors.get(span.group) ?? '#888', laneTop + BAR_GAP, BAR_HEIGHT),
      );
      bars.unshift(...spans);
    }
    parts.push(renderLane(worker, lane++, left, width - RIGHT, bars));
  }
  parts.push(renderTimeAxis(x, lanesBottom + 2, span));
  let y = lanesBottom + AXIS_HEIGHT;
  if (hasLegend) {
    parts.push(renderLegend(colors, left, y + 10));
    y += LEGEND_HEIGHT;
  }
  if (binned) {
    parts.push(
      `<text x="${left}" y="${y + 12}" fill="#666">${records.length.toLocaleString('en-US')} tasks: each bar is one pixel column's busiest task group (hover for counts)</text>`,
    );
    y += LEGEND_HEIGHT;
  }
  if (omitted > 0) {
    parts.push(
      `<text x="${left}" y="${y + 12}" fill="#666">${omitted.toLocaleString('en-US')} shorter failed tasks not drawn</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
}

function renderLane(worker: string, lane: number, x0: number, x1: number, bars: string[]): string {
  const y = TOP + lane * LANE_HEIGHT;
  // Alternate backgrounds so that many lanes stay easy to follow.
  const fill = lane % 2 === 0 ? '#f7f7f7' : '#fff';
  return (
    `<g class="bask-lane" data-worker="${escapeXml(worker)}">` +
    `<rect x="${x0}" y="${y}" width="${x1 - x0}" height="${LANE_HEIGHT}" fill="${fill}"/>` +
    `<text x="${x0 - 6}" y="${y + LANE_HEIGHT / 2}" dy="0.32em" text-anchor="end" fill="#333">${escapeXml(worker)}</text>` +
    bars.join('') +
    '</g>'
  );
}

function renderBar(
  record: TaskRecord,
  colors: ReadonlyMap<string, string>,
  x0: number,
  x1: number,
  laneTop: number,
): string {
  const failed = record.error !== undefined;
  const fill = failed ? ERROR_COLOR : (colors.get(keyGroup(record.key)) ?? '#888');
  const title = `${record.key} · ${record.worker} · ${formatDuration(record.duration)}${failed ? ` · ${errorText(record.error)}` : ''}`;
  const y = laneTop + BAR_GAP;
  return (
    `<rect class="bask-task" x="${x0.toFixed(2)}" y="${y}" width="${Math.max(1, x1 - x0).toFixed(2)}" height="${BAR_HEIGHT}" ` +
    `fill="${fill}"${failed ? ' data-error="true"' : ''} data-key="${escapeXml(record.key)}"><title>${escapeXml(title)}</title></rect>`
  );
}

function renderLegend(colors: ReadonlyMap<string, string>, left: number, y: number): string {
  const parts = ['<g class="bask-legend">'];
  let x = left;
  for (const [group, color] of colors) {
    parts.push(
      `<rect x="${x}" y="${y - 8}" width="10" height="10" fill="${color}"/>` +
        `<text x="${x + 14}" y="${y}" fill="#333">${escapeXml(group)}</text>`,
    );
    x += 24 + group.length * CHAR_WIDTH;
  }
  parts.push('</g>');
  return parts.join('');
}
