/**
 * Shared pieces of the diagnostics' SVG charts (task stream, resource chart): XML escaping,
 * task groups and their colours, and axes whose ticks come from d3-scale.
 *
 * Policy: charts are self-contained SVG strings (no DOM needed, so they render in Node, pages
 * and workers alike). Colours of task groups come from a hash of the group name (probing past
 * colours already taken in the chart), so a group keeps its colour across runs of the same
 * graph; red is reserved for errors and is not in the palette.
 */
import { scaleLinear, type ScaleLinear } from 'd3-scale';

/** The colour of failed tasks and error states. */
export const ERROR_COLOR = '#d62728';

/**
 * d3's category20 without its reds (they mean "error" here) and greys (they read as idle time).
 * Sixteen colours rather than ten, so that hashing rarely has to probe.
 */
const PALETTE = [
  '#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#bcbd22', '#17becf',
  '#aec7e8', '#ffbb78', '#98df8a', '#c5b0d5', '#c49c94', '#f7b6d2', '#dbdb8d', '#9edae5',
] as const; // prettier-ignore

/** The font and size every chart uses. */
export const FONT_ATTRS = 'font-family="system-ui, sans-serif" font-size="11"';

/** Approximate width of one character of the chart font, for laying out labels. */
export const CHAR_WIDTH = 7;

/** Escapes text for SVG content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export { keyGroup } from '../graph/groups.js';

function hashName(name: string): number {
  // FNV-1a: cheap, and the same in every runtime, so colours do not change between runs.
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Colours for the task groups of one chart: each group starts at the palette slot its name
 * hashes to and, when an earlier group (in name order) took that slot, moves to the next free
 * one. A group's colour therefore depends only on its name and the set of groups drawn, and no
 * two groups share a colour until there are more groups than colours.
 */
export function groupColors(groups: Iterable<string>): Map<string, string> {
  const colors = new Map<string, string>();
  const taken = new Set<number>();
  for (const group of [...new Set(groups)].sort()) {
    let slot = hashName(group) % PALETTE.length;
    if (taken.size < PALETTE.length) {
      while (taken.has(slot)) slot = (slot + 1) % PALETTE.length;
    }
    taken.add(slot);
    colors.set(group, PALETTE[slot] as string);
  }
  return colors;
}

/** A duration for people: `850 µs`, `12.3 ms`, `4.56 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms < 1000) return `${ms.toPrecision(3)} ms`;
  return `${(ms / 1000).toPrecision(3)} s`;
}

/** A tick on an axis: where it goes (in the axis's own unit) and its label. */
export interface Tick {
  readonly value: number;
  readonly label: string;
}

/**
 * Ticks for a time axis spanning `spanMs` milliseconds from 0: labelled in ms for short spans
 * and in seconds from 2 s on, with d3's nice steps and formats. `value` is in milliseconds.
 */
export function timeTicks(spanMs: number, count: number): Tick[] {
  const inSeconds = spanMs >= 2000;
  const unit = inSeconds ? 1000 : 1;
  const scale = scaleLinear().domain([0, spanMs / unit]);
  const format = scale.tickFormat(count);
  const suffix = inSeconds ? ' s' : ' ms';
  return scale.ticks(count).map((t) => ({ value: t * unit, label: format(t) + suffix }));
}

/** Ticks of a linear scale, labelled by d3's tick format plus a unit suffix. */
export function valueTicks(
  scale: ScaleLinear<number, number>,
  count: number,
  suffix: string,
): Tick[] {
  const format = scale.tickFormat(count);
  return scale.ticks(count).map((t) => ({ value: t, label: format(t) + suffix }));
}

/** A horizontal axis at `y`: a baseline, tick marks and labels placed by `x` (ms -> px). */
export function renderTimeAxis(x: ScaleLinear<number, number>, y: number, spanMs: number): string {
  const [x0, x1] = x.range() as [number, number];
  const count = Math.max(2, Math.floor((x1 - x0) / 80));
  const parts = [
    `<g class="bask-axis"><line x1="${x0}" y1="${y}" x2="${x1}" y2="${y}" stroke="#888"/>`,
  ];
  for (const tick of timeTicks(spanMs, count)) {
    const px = x(tick.value).toFixed(1);
    parts.push(
      `<line x1="${px}" y1="${y}" x2="${px}" y2="${y + 4}" stroke="#888"/>` +
        `<text x="${px}" y="${y + 15}" text-anchor="middle" fill="#444">${escapeXml(tick.label)}</text>`,
    );
  }
  parts.push('</g>');
  return parts.join('');
}

/** A vertical axis at `x0`: gridlines across to `x1` and labels from d3 ticks. */
export function renderValueAxis(
  y: ScaleLinear<number, number>,
  x0: number,
  x1: number,
  suffix: string,
): string {
  const parts = ['<g class="bask-axis">'];
  for (const tick of valueTicks(y, 4, suffix)) {
    const py = y(tick.value).toFixed(1);
    parts.push(
      `<line x1="${x0}" y1="${py}" x2="${x1}" y2="${py}" stroke="#e5e5e5"/>` +
        `<text x="${x0 - 4}" y="${py}" dy="0.32em" text-anchor="end" fill="#444">${escapeXml(tick.label)}</text>`,
    );
  }
  parts.push('</g>');
  return parts.join('');
}

/** The opening tag of a chart of the given size, with a class and an accessible label. */
export function openSvg(className: string, width: number, height: number, label: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="${className}" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" ${FONT_ATTRS} role="img" aria-label="${escapeXml(label)}">`
  );
}
