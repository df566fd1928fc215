/**
 * The chart of spread per day (uPlot: a small, fast canvas chart made for time series). What
 * it draws is decided in chart-data.ts (days or per-pixel buckets, lines broken at missing
 * trading days, a band where several files share a day); this file is the view around uPlot.
 *
 * Policy: days are UTC dates, so the time axis is drawn in UTC, not in the viewer's zone
 * (which would shift 09:30 UTC bars to the previous day west of Greenwich). Failed files are
 * left out. Values appear only on hover, in a tooltip next to the point, never as a legend of
 * dashes. Dragging across the plot zooms into those days (re-bucketed at the new scale); the
 * Reset zoom button or a double-click shows every day again. `update` rebuilds the series from
 * all results so far; the page calls it at most ~10 times a second.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { isSpreadFailure, type SpreadResult } from 'bask/seed';
import {
  formatDay,
  layoutChart,
  toDayPoints,
  type Bucket,
  type ChartData,
  type DayPoint,
} from './chart-data.js';
import { el, plural } from './dom.js';

const HEIGHT = 300;
const COLOR = '#4f46e5';
const BAND = 'rgba(79, 70, 229, 0.22)';
/** Room taken by the y axis and the padding, until the plot says how wide it is. */
const AXIS_ROOM = 120;
/** Points are drawn when days are at least this many pixels apart. */
const POINT_SPACING = 4;
/** The axis titles, with units: drawn on the axes and read out in the accessible name. */
const X_TITLE = 'Day (UTC date)';
const Y_TITLE = 'Spread (price units)';
const EMPTY_LABEL = `${Y_TITLE} by day: no results yet.`;

/** The chart's elements: the plot's host (role img) and the Reset zoom button. */
export interface ChartElements {
  readonly host: HTMLElement;
  readonly reset: HTMLButtonElement;
  readonly caption: HTMLElement;
}

/** A chart of spread per day, zoomable, with values on hover. */
export class SpreadChart {
  private plot: uPlot | undefined;
  /** Whether the current plot draws one line or a band (a change needs a new plot). */
  private single = true;
  private points: DayPoint[] = [];
  private data: ChartData | undefined;
  /** The zoomed days (seconds), or undefined for all. */
  private view: [number, number] | undefined;
  /** The plot area's width in CSS pixels, once uPlot has laid it out. */
  private plotWidth: number | undefined;
  /** The pixel columns the current data was laid out for. */
  private laidOutFor = 0;
  private readonly placeholder = el('p', 'placeholder', 'The chart appears as results come in.');
  private readonly tooltip = el('div', 'chart-tooltip');
  private readonly defaultCaption: string;

  constructor(private readonly elements: ChartElements) {
    this.defaultCaption = elements.caption.textContent ?? '';
    this.tooltip.setAttribute('aria-hidden', 'true');
    elements.reset.addEventListener('click', () => {
      this.zoom(undefined);
      // The button hides itself: keep the focus near it.
      elements.host.focus({ preventScroll: true });
    });
    this.clear();
    let width = 0;
    // A new width lays the days out again, from the plotOnSize hook.
    new ResizeObserver(() => {
      if (this.plot === undefined || elements.host.clientWidth === width) return;
      width = elements.host.clientWidth;
      this.plot.setSize({ width: this.width(), height: HEIGHT });
    }).observe(elements.host);
  }

  /** Draws every successful result so far. */
  update(results: readonly (SpreadResult | undefined)[]): void {
    this.points = toDayPoints(
      results.map((r) => (r === undefined || isSpreadFailure(r) ? undefined : r)),
    );
    if (this.points.length === 0) {
      this.clear();
      return;
    }
    this.draw();
  }

  /** Removes the chart and forgets the zoom. */
  clear(): void {
    this.plot?.destroy();
    this.plot = undefined;
    this.points = [];
    this.data = undefined;
    this.view = undefined;
    const { host, reset, caption } = this.elements;
    host.setAttribute('aria-label', EMPTY_LABEL);
    for (const key of ['mode', 'drawn', 'segments', 'zoomed']) delete host.dataset[key];
    host.replaceChildren(this.placeholder);
    reset.hidden = true;
    caption.textContent = this.defaultCaption;
  }

  private draw(): void {
    this.laidOutFor = this.columns();
    const data = layoutChart(this.points, this.laidOutFor, this.view);
    this.data = data;
    const aligned: uPlot.AlignedData = data.single
      ? [data.x, data.max]
      : [data.x, data.max, data.min];
    if (this.plot === undefined || this.single !== data.single) {
      this.plot?.destroy();
      this.single = data.single;
      this.elements.host.replaceChildren();
      this.plot = new uPlot(this.options(), aligned, this.elements.host);
      this.plot.over.append(this.tooltip);
      this.plot.over.addEventListener('dblclick', () => this.zoom(undefined));
    } else {
      this.plot.setData(aligned);
    }
    const view = this.view;
    if (view !== undefined) this.plot.setScale('x', { min: view[0], max: view[1] });
    this.describe(data);
  }

  /** Zooms to `view` (seconds), or back to every day. */
  private zoom(view: [number, number] | undefined): void {
    if (view === undefined && this.view === undefined) return;
    this.view = view;
    this.elements.reset.hidden = view === undefined;
    if (this.points.length > 0) this.draw();
  }

  /** uPlot has sized the plot (it does so after a microtask): lay out again if it changed. */
  private plotOnSize(u: uPlot): void {
    const width = Math.floor(u.bbox.width / uPlot.pxRatio);
    if (u !== this.plot || width <= 0) return;
    this.plotWidth = width;
    if (this.columns() !== this.laidOutFor) this.draw();
  }

  /** The drag selection becomes the view, when it holds at least one day. */
  private plotOnSelect(u: uPlot): void {
    const { left, width } = u.select;
    if (width < 3) return;
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    const view: [number, number] = [u.posToVal(left, 'x'), u.posToVal(left + width, 'x')];
    if (this.points.some((p) => p.day >= view[0] && p.day <= view[1])) this.zoom(view);
  }

  /** The tooltip of the hovered bucket, hidden when the cursor leaves the plot. */
  private plotOnCursor(u: uPlot): void {
    const idx = u.cursor.idxs?.[1] ?? u.cursor.idx;
    const bucket = idx === null || idx === undefined ? undefined : this.data?.buckets[idx];
    if (bucket === undefined || (u.cursor.left ?? -1) < 0) {
      this.tooltip.classList.remove('is-shown');
      return;
    }
    this.tooltip.replaceChildren(...tooltipLines(bucket));
    const x = u.valToPos(u.data[0][idx as number] as number, 'x');
    const y = u.valToPos(bucket.max, 'y');
    const flip = x > u.over.clientWidth / 2;
    this.tooltip.style.left = `${x}px`;
    this.tooltip.style.top = `${y}px`;
    this.tooltip.style.transform = `translate(${flip ? 'calc(-100% - 10px)' : '10px'}, -50%)`;
    this.tooltip.classList.add('is-shown');
  }

  /** The accessible name, the caption and the data attributes tests read. */
  private describe(data: ChartData): void {
    const { host, caption } = this.elements;
    const first = this.points[0] as DayPoint;
    const last = this.points[this.points.length - 1] as DayPoint;
    const [low, high] = this.points.reduce(
      ([lo, hi], p) => [Math.min(lo, p.spread), Math.max(hi, p.spread)],
      [Infinity, -Infinity],
    );
    const days = new Set(this.points.map((p) => p.day)).size;
    host.setAttribute(
      'aria-label',
      `${Y_TITLE} by ${lowerFirst(X_TITLE)}: ${plural(days, 'day')} from ${formatDay(first.day)} to ${formatDay(last.day)}, ` +
        `spreads from ${low.toFixed(4)} to ${high.toFixed(4)}.` +
        (this.view === undefined ? '' : ` Zoomed in: ${plural(data.days, 'day')} shown.`),
    );
    host.dataset['mode'] = data.mode;
    host.dataset['drawn'] = String(data.buckets.filter((b) => b !== undefined).length);
    host.dataset['segments'] = String(data.segments);
    host.dataset['zoomed'] = String(this.view !== undefined);
    caption.textContent = captionFor(data);
  }

  private width(): number {
    return Math.max(240, this.elements.host.clientWidth);
  }

  /** How many pixel columns the plot has for days. */
  private columns(): number {
    return Math.max(16, this.plotWidth ?? this.width() - AXIS_ROOM);
  }

  private options(): uPlot.Options {
    const showPoints = (): boolean =>
      this.data?.mode === 'days' && this.data.days * POINT_SPACING <= this.columns();
    const edge = (label: string): uPlot.Series => ({
      label,
      stroke: COLOR,
      width: this.single ? 1.5 : 1,
      points: { show: showPoints, size: 5, fill: COLOR },
    });
    return {
      width: this.width(),
      height: HEIGHT,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      scales: { x: { time: true } },
      legend: { show: false },
      cursor: {
        drag: { x: true, y: false, setScale: false },
        hover: { skip: [null, undefined] },
      },
      series: this.single
        ? [{}, edge('Spread')]
        : [{}, edge('Highest spread'), edge('Lowest spread')],
      ...(this.single ? {} : { bands: [{ series: [1, 2], fill: BAND }] }),
      axes: [
        { label: X_TITLE, labelSize: 24, stroke: '#1f2330' },
        { label: Y_TITLE, size: 64, labelSize: 24, stroke: '#1f2330' },
      ],
      hooks: {
        setCursor: [(u) => this.plotOnCursor(u)],
        setSelect: [(u) => this.plotOnSelect(u)],
        setSize: [(u) => this.plotOnSize(u)],
      },
    };
  }
}

/** The tooltip's lines: the day (or days) and files, then the spread (or its range). */
function tooltipLines(bucket: Bucket): HTMLElement[] {
  const days =
    bucket.first === bucket.last
      ? formatDay(bucket.first)
      : `${formatDay(bucket.first)} – ${formatDay(bucket.last)}`;
  const files = bucket.file ?? plural(bucket.count, 'file');
  const spread =
    bucket.min === bucket.max
      ? `Spread ${bucket.max.toFixed(4)}`
      : `Spread ${bucket.min.toFixed(4)} – ${bucket.max.toFixed(4)}`;
  return [
    el('strong', undefined, days),
    el('span', undefined, files),
    el('span', undefined, spread),
  ];
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function captionFor(data: ChartData): string {
  const gaps = 'The line breaks where a trading day is missing.';
  if (data.mode === 'buckets') {
    return (
      `Spread (highest high − lowest low) per day: ${plural(data.days, 'day')} in ` +
      `${plural(data.buckets.filter((b) => b !== undefined).length, 'column')}, each drawn from ` +
      `its lowest to its highest spread. Drag to zoom in. ${gaps}`
    );
  }
  if (!data.single) {
    return `Spread (highest high − lowest low) per day: the band runs from the lowest to the highest spread of the day's files. ${gaps}`;
  }
  return `Spread (highest high − lowest low) per day, one point per file. ${gaps}`;
}
