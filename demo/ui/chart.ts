/**
 * The chart of spread per day (uPlot: a small, fast canvas chart made for time series).
 *
 * Policy: days are UTC dates, so the time axis is drawn in UTC, not in the viewer's zone
 * (which would shift 09:30 UTC bars to the previous day west of Greenwich). Failed files are
 * left out. `update` rebuilds the series from all results so far; the page calls it at most
 * ~10 times a second.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { isSpreadFailure, type SpreadResult } from 'bask/seed';
import { el } from './dom.js';

const HEIGHT = 280;
const COLOR = '#4f46e5';

/** A line chart of spread per day. */
export class SpreadChart {
  private plot: uPlot | undefined;
  private readonly placeholder = el('p', 'placeholder', 'The chart appears as results come in.');

  constructor(private readonly host: HTMLElement) {
    host.replaceChildren(this.placeholder);
    new ResizeObserver(() => this.plot?.setSize({ width: this.width(), height: HEIGHT })).observe(
      host,
    );
  }

  /** Draws every successful result so far, in day order. */
  update(results: readonly (SpreadResult | undefined)[]): void {
    const points: [number, number][] = [];
    for (const r of results) {
      if (r !== undefined && !isSpreadFailure(r)) points.push([r.day.getTime() / 1000, r.spread]);
    }
    if (points.length === 0) {
      this.clear();
      return;
    }
    points.sort((a, b) => a[0] - b[0]);
    const data: uPlot.AlignedData = [points.map((p) => p[0]), points.map((p) => p[1])];
    const first = new Date((points[0] as [number, number])[0] * 1000).toISOString().slice(0, 10);
    const lastPoint = points[points.length - 1] as [number, number];
    const last = new Date(lastPoint[0] * 1000).toISOString().slice(0, 10);
    this.host.setAttribute(
      'aria-label',
      `Spread per day: ${points.length} days from ${first} to ${last}`,
    );
    if (this.plot === undefined) {
      this.host.replaceChildren();
      this.plot = new uPlot(this.options(), data, this.host);
    } else {
      this.plot.setData(data);
    }
  }

  /** Removes the chart. */
  clear(): void {
    this.plot?.destroy();
    this.plot = undefined;
    this.host.removeAttribute('aria-label');
    this.host.replaceChildren(this.placeholder);
  }

  private width(): number {
    return Math.max(240, this.host.clientWidth);
  }

  private options(): uPlot.Options {
    return {
      width: this.width(),
      height: HEIGHT,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      scales: { x: { time: true } },
      cursor: { drag: { x: true, y: false } },
      series: [
        { label: 'Day', value: '{YYYY}-{MM}-{DD}' },
        {
          label: 'Spread',
          stroke: COLOR,
          width: 1.5,
          fill: 'rgba(79, 70, 229, 0.08)',
          points: { show: true, size: 5, fill: COLOR },
          value: (_plot, v) => (v === null ? '—' : v.toFixed(4)),
        },
      ],
      axes: [{}, { label: 'Spread', size: 64 }],
    };
  }
}
