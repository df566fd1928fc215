/**
 * The throughput chart of /status: tasks per second and bytes moved per second over time,
 * drawn by uPlot (canvas, its own axes and legend), redrawn with new data at each frame.
 */
import uPlot from 'uplot';
import { formatBytes } from './format.js';
import type { RateHistory } from './model.js';

const HEIGHT = 170;

/** A uPlot chart of the rate history inside `host`. */
export class RateChart {
  private plot: uPlot | undefined;

  constructor(private readonly host: HTMLElement) {}

  /** Draws the history (creates the chart on first use). */
  update(history: RateHistory): void {
    const data: uPlot.AlignedData = [history.time, history.tasksPerSecond, history.bytesPerSecond];
    const width = Math.max(300, this.host.clientWidth || 900);
    if (this.plot === undefined) {
      this.plot = new uPlot(options(width), data, this.host);
      return;
    }
    if (Math.abs(this.plot.width - width) > 8) this.plot.setSize({ width, height: HEIGHT });
    this.plot.setData(data);
  }

  /** Removes the chart. */
  destroy(): void {
    this.plot?.destroy();
    this.plot = undefined;
  }
}

function options(width: number): uPlot.Options {
  return {
    width,
    height: HEIGHT,
    scales: { x: { time: true }, tasks: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
    series: [
      {},
      {
        label: 'tasks/s',
        scale: 'tasks',
        stroke: '#1f77b4',
        width: 1.5,
        value: (_u, v) => (v === null ? '–' : v.toFixed(1)),
      },
      {
        label: 'moved/s',
        scale: 'bytes',
        stroke: '#e6a700',
        width: 1.5,
        value: (_u, v) => (v === null ? '–' : `${formatBytes(v)}/s`),
      },
    ],
    axes: [
      {},
      { scale: 'tasks', label: 'tasks/s', size: 64 },
      {
        scale: 'bytes',
        side: 1,
        size: 80,
        grid: { show: false },
        values: (_u, values) => values.map((v) => `${formatBytes(v)}/s`),
      },
    ],
  };
}
