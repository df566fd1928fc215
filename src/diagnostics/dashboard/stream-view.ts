/**
 * The live task stream as an SVG string: a lane per worker thread (grouped by process), a bar
 * per task run coloured by task group, failed runs in red, and under each process's threads a
 * lane of the data it moved (striped amber) or spilled to disk (striped purple), as its
 * heartbeats report them. The time axis is d3's (svg.ts).
 *
 * Policy: the stream shows the last WINDOW_MS before the newest run (not before "now", so a
 * finished computation stays on screen), at most MAX_BARS bars, the newest first; what is left
 * out is said under the chart.
 */
import { scaleLinear } from 'd3-scale';
import type { TransferRun, WorkerStatus } from '../../wire/dashboard-protocol.js';
import {
  CHAR_WIDTH,
  ERROR_COLOR,
  escapeXml,
  formatDuration,
  groupColors,
  openSvg,
  renderTimeAxis,
} from '../svg.js';
import { formatBytes } from './format.js';
import type { TaskRun } from './model.js';

/** Options of the live task stream. */
export interface LiveStreamOptions {
  /** Width in pixels (default 900). */
  width?: number;
  /** How much time to show, before the newest run (ms, default 30 s). */
  windowMs?: number;
}

const MAX_BARS = 5000;
const LANE = 20;
const BAR = 14;
const XFER_LANE = 12;
const TOP = 6;
const RIGHT = 12;
const AXIS = 26;
const LEGEND = 20;
const TRANSFER_COLOR = '#e6a700';
const SPILL_COLOR = '#6a51a3';

interface Lane {
  readonly id: string;
  readonly label: string;
  readonly kind: 'thread' | 'transfers';
  readonly y: number;
  readonly height: number;
}

/** Renders the newest runs and transfers as a task stream. */
export function renderLiveStream(
  runs: readonly TaskRun[],
  transfers: readonly TransferRun[],
  workers: readonly WorkerStatus[],
  options: LiveStreamOptions = {},
): string {
  const width = Math.max(300, Math.floor(options.width ?? 900));
  const windowMs = options.windowMs ?? 30_000;
  let t1 = Number.NEGATIVE_INFINITY;
  for (let i = Math.max(0, runs.length - 2000); i < runs.length; i++)
    t1 = Math.max(t1, (runs[i] as TaskRun).end);
  for (const t of transfers) t1 = Math.max(t1, t.end);
  const from = t1 - windowMs;
  const shown: TaskRun[] = [];
  let older = 0;
  for (let i = runs.length - 1; i >= 0; i--) {
    const r = runs[i] as TaskRun;
    if (r.end < from || shown.length >= MAX_BARS) older++;
    else shown.push(r);
  }
  const moves = transfers.filter((t) => t.end >= from);
  if (shown.length === 0 && moves.length === 0) {
    return `${openSvg('bask-live-stream', width, 40, 'Task stream')}<text x="8" y="24" fill="#666">No tasks have run yet</text></svg>`;
  }
  let t0 = Number.POSITIVE_INFINITY;
  for (const r of shown) t0 = Math.min(t0, r.start);
  for (const t of moves) t0 = Math.min(t0, Math.max(t.start, from));
  const span = Math.max(1e-3, t1 - t0);

  const lanes = layoutLanes(workers, shown, moves);
  const longest = Math.max(0, ...[...lanes.values()].map((l) => l.label.length));
  const left = Math.min(200, Math.max(56, longest * CHAR_WIDTH + 14));
  const x = scaleLinear()
    .domain([0, span])
    .range([left, width - RIGHT]);
  let bottom = TOP;
  for (const l of lanes.values()) bottom = Math.max(bottom, l.y + l.height);
  const colors = groupColors(shown.map((r) => r.group));
  const height = bottom + AXIS + LEGEND + (older > 0 ? LEGEND : 0);

  const parts = [
    openSvg('bask-live-stream', width, height, `Task stream of ${shown.length} tasks`),
    '<defs>',
    stripes('bask-stripes-transfer', TRANSFER_COLOR),
    stripes('bask-stripes-spill', SPILL_COLOR),
    '</defs>',
  ];
  let i = 0;
  for (const lane of lanes.values()) {
    const fill = lane.kind === 'transfers' ? '#fffaf0' : i++ % 2 === 0 ? '#f7f7f7' : '#fff';
    parts.push(
      `<g class="bask-lane" data-lane="${lane.kind}" data-worker="${escapeXml(lane.id)}">` +
        `<rect x="${left}" y="${lane.y}" width="${width - RIGHT - left}" height="${lane.height}" fill="${fill}"/>` +
        `<text x="${left - 6}" y="${lane.y + lane.height / 2}" dy="0.32em" text-anchor="end" fill="#333"${lane.kind === 'transfers' ? ' font-size="9"' : ''}>${escapeXml(lane.label)}</text></g>`,
    );
  }
  for (const r of shown) {
    const lane = lanes.get(r.worker);
    if (lane === undefined) continue;
    const x0 = x(r.start - t0);
    const w = Math.max(1, x(r.end - t0) - x0);
    const title = `${r.key} · ${r.worker} · ${formatDuration(r.end - r.start)}${r.failed ? ' · failed' : ''}`;
    parts.push(
      `<rect class="bask-task" x="${x0.toFixed(2)}" y="${lane.y + (LANE - BAR) / 2}" width="${w.toFixed(2)}" height="${BAR}" ` +
        `fill="${r.failed ? ERROR_COLOR : (colors.get(r.group) ?? '#888')}" data-key="${escapeXml(r.key)}" data-group="${escapeXml(r.group)}"` +
        `${r.failed ? ' data-error="true"' : ''}><title>${escapeXml(title)}</title></rect>`,
    );
  }
  for (const t of moves) {
    const lane = lanes.get(`${t.worker}\u0000moves`);
    if (lane === undefined) continue;
    const x0 = x(Math.max(t.start, t0) - t0);
    const w = Math.max(2, x(t.end - t0) - x0);
    const spill = t.kind === 'spill';
    const title = `${t.worker} · ${spill ? (t.direction === 'out' ? 'spilled' : 'unspilled') : t.direction === 'in' ? 'received' : 'sent'} ${formatBytes(t.bytes)}${spill ? '' : ` by ${t.path}`}`;
    parts.push(
      `<rect class="${spill ? 'bask-spill' : 'bask-transfer'}" x="${x0.toFixed(2)}" y="${lane.y + 1}" width="${w.toFixed(2)}" height="${lane.height - 2}" ` +
        `fill="url(#bask-stripes-${spill ? 'spill' : 'transfer'})" stroke="${spill ? SPILL_COLOR : TRANSFER_COLOR}" data-bytes="${t.bytes}"><title>${escapeXml(title)}</title></rect>`,
    );
  }
  parts.push(renderTimeAxis(x, bottom + 2, span));
  parts.push(renderLegend(colors, left, bottom + AXIS + 12));
  if (older > 0) {
    parts.push(
      `<text x="${left}" y="${bottom + AXIS + LEGEND + 12}" fill="#666">${older.toLocaleString('en-US')} earlier runs not drawn</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}

/** Lanes: each process's threads, then its transfers lane (when it moved data); then leftovers. */
function layoutLanes(
  workers: readonly WorkerStatus[],
  runs: readonly TaskRun[],
  moves: readonly TransferRun[],
): Map<string, Lane> {
  const lanes = new Map<string, Lane>();
  let y = TOP;
  const add = (id: string, label: string, kind: Lane['kind']): void => {
    if (lanes.has(id)) return;
    const height = kind === 'thread' ? LANE : XFER_LANE;
    lanes.set(id, { id, label, kind, y, height });
    y += height;
  };
  const moved = new Set(moves.map((t) => t.worker));
  for (const p of workers) {
    for (const t of p.threads) add(t.id, t.id, 'thread');
    if (moved.has(p.name)) add(`${p.name}\u0000moves`, `${p.name} data`, 'transfers');
  }
  // Threads that left keep their lane while their runs are shown.
  const gone = [...new Set(runs.map((r) => r.worker))].filter((w) => !lanes.has(w)).sort();
  for (const w of gone) add(w, w, 'thread');
  return lanes;
}

function stripes(id: string, color: string): string {
  return (
    `<pattern id="${id}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
    `<rect width="6" height="6" fill="${color}" fill-opacity="0.25"/><line x1="0" y1="0" x2="0" y2="6" stroke="${color}" stroke-width="3"/></pattern>`
  );
}

function renderLegend(colors: ReadonlyMap<string, string>, left: number, y: number): string {
  const items: [string, string][] = [...colors].slice(0, 12);
  items.push(['failed', ERROR_COLOR]);
  const parts = ['<g class="bask-legend">'];
  let x = left;
  for (const [name, color] of items) {
    parts.push(
      `<rect x="${x}" y="${y - 8}" width="10" height="10" fill="${color}"/><text x="${x + 14}" y="${y}" fill="#333">${escapeXml(name)}</text>`,
    );
    x += 24 + name.length * CHAR_WIDTH;
  }
  for (const [name, id, color] of [
    ['transfer', 'transfer', TRANSFER_COLOR],
    ['spill', 'spill', SPILL_COLOR],
  ] as const) {
    parts.push(
      `<rect x="${x}" y="${y - 8}" width="10" height="10" fill="url(#bask-stripes-${id})" stroke="${color}"/><text x="${x + 14}" y="${y}" fill="#333">${name}</text>`,
    );
    x += 24 + name.length * CHAR_WIDTH;
  }
  parts.push('</g>');
  return parts.join('');
}
