/**
 * The ResourceProfiler's chart as an SVG string: memory (MB) over time, and CPU (% of one
 * core) over time when the runtime measured it, as stacked panels sharing one time axis that
 * starts when the run started. Axis ticks come from d3-scale.
 */
import { scaleLinear, type ScaleLinear } from 'd3-scale';
import { escapeXml, openSvg, renderTimeAxis, renderValueAxis } from './svg.js';

/** One resource sample; `time` in epoch ms, `memory` and `heap` in bytes. */
export interface ResourceSample {
  readonly time: number;
  /** The process's resident set (Node) or the JS heap in use (Chromium), in bytes. */
  readonly memory: number;
  /** The JS heap in use, in bytes, where the runtime reports it. */
  readonly heap?: number;
  /** CPU time since the previous sample as a percentage of one core (Node only). */
  readonly cpu?: number;
}

/** Options of the resource chart. */
export interface ResourceChartOptions {
  /** Width of the SVG in pixels (default 800). */
  width?: number;
}

const PANEL_HEIGHT = 120;
const PANEL_GAP = 16;
/** Each panel has a row of its own for its title, so it never collides with the top y label. */
const TITLE_HEIGHT = 20;
const TOP = 4;
const BLOCK = TITLE_HEIGHT + PANEL_HEIGHT + PANEL_GAP;
const LEFT = 64;
const RIGHT = 12;
const AXIS_HEIGHT = 26;
const MB = 1e6;

interface Series {
  readonly name: string;
  readonly className: string;
  readonly color: string;
  readonly unit: string;
  readonly points: readonly (readonly [number, number])[];
}

/** Renders samples as line charts; `t0` (epoch ms) is where the time axis starts. */
export function renderResourceChart(
  samples: readonly ResourceSample[],
  t0: number | undefined,
  options: ResourceChartOptions = {},
): string {
  const width = Math.max(240, Math.floor(options.width ?? 800));
  const first = samples[0];
  if (first === undefined) {
    return `${openSvg('bask-resources', width, 40, 'Resource usage')}<text x="8" y="24" fill="#666">No samples recorded</text></svg>`;
  }
  const origin = Math.min(t0 ?? first.time, first.time);
  let span = 1;
  for (const s of samples) span = Math.max(span, s.time - origin);
  const series: Series[] = [
    {
      name: 'Memory',
      className: 'bask-memory',
      color: '#4e79a7',
      unit: ' MB',
      points: samples.map((s) => [s.time - origin, s.memory / MB]),
    },
  ];
  const cpu = samples
    .filter((s) => s.cpu !== undefined)
    .map((s) => [s.time - origin, s.cpu ?? 0] as const);
  if (cpu.length > 0)
    series.push({ name: 'CPU', className: 'bask-cpu', color: '#f28e2b', unit: '%', points: cpu });

  const x = scaleLinear()
    .domain([0, span])
    .range([LEFT, width - RIGHT]);
  const height = TOP + series.length * BLOCK - PANEL_GAP + AXIS_HEIGHT;
  const parts = [openSvg('bask-resources', width, height, 'Resource usage')];
  series.forEach((s, i) => parts.push(renderPanel(s, x, TOP + i * BLOCK)));
  parts.push(renderTimeAxis(x, height - AXIS_HEIGHT + 2, span));
  parts.push('</svg>');
  return parts.join('\n');
}

function renderPanel(series: Series, x: ScaleLinear<number, number>, blockTop: number): string {
  const top = blockTop + TITLE_HEIGHT;
  let max = 0;
  for (const [, v] of series.points) max = Math.max(max, v);
  const y = scaleLinear()
    .domain([0, max > 0 ? max : 1])
    .nice(4)
    .range([top + PANEL_HEIGHT, top]);
  const [x0, x1] = x.range() as [number, number];
  const d = series.points
    .map(([t, v], i) => `${i === 0 ? 'M' : 'L'}${x(t).toFixed(1)},${y(v).toFixed(1)}`)
    .join('');
  // A single sample is a point, which a path alone would not show.
  const dot =
    series.points.length === 1
      ? `<circle cx="${x(series.points[0]?.[0] ?? 0).toFixed(1)}" cy="${y(series.points[0]?.[1] ?? 0).toFixed(1)}" r="2.5" fill="${series.color}"/>`
      : '';
  return (
    `<g class="bask-panel ${series.className}">` +
    renderValueAxis(y, x0, x1, series.unit) +
    `<text x="${x0}" y="${blockTop + 11}" fill="#333" font-weight="600">${escapeXml(series.name)}</text>` +
    `<path d="${d}" fill="none" stroke="${series.color}" stroke-width="1.5"/>${dot}</g>`
  );
}
