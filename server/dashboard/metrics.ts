/**
 * Small measures of the dashboard hub: the recent task rate (from samples taken each frame
 * tick, in a fixed ring) and the hub's own lines on /metrics (dashboards connected, frames sent
 * and dropped, bytes sent, the largest send buffer seen: the evidence that a slow dashboard
 * never makes the scheduler queue without bound).
 */
/** What the hub did, for /metrics and tests. */
export interface HubStats {
  framesSent: number;
  framesDropped: number;
  bytesSent: number;
  /** The most bytes seen waiting in a dashboard's socket. */
  maxBuffered: number;
  refused: number;
  /** Time spent in the hub (recording runs, building and sending frames), in ms. */
  busyMs: number;
}

const SAMPLES = 32;
const WINDOW_MS = 1000;

/** Tasks per second over about the last second, from (time, count) samples. */
export class RateWindow {
  private readonly times = new Float64Array(SAMPLES);
  private readonly counts = new Float64Array(SAMPLES);
  private n = 0;

  /** Records the cumulative count at a time (epoch ms). */
  sample(time: number, count: number): void {
    const slot = this.n % SAMPLES;
    this.times[slot] = time;
    this.counts[slot] = count;
    this.n++;
  }

  /** The rate between the newest sample and the oldest one within WINDOW_MS of it. */
  perSecond(): number {
    if (this.n < 2) return 0;
    const newest = (this.n - 1) % SAMPLES;
    const t1 = this.times[newest] as number;
    let oldest = newest;
    for (let k = 1; k < Math.min(this.n, SAMPLES); k++) {
      const slot = (this.n - 1 - k) % SAMPLES;
      if (t1 - (this.times[slot] as number) > WINDOW_MS) break;
      oldest = slot;
    }
    const dt = t1 - (this.times[oldest] as number);
    if (dt <= 0) return 0;
    return ((this.counts[newest] as number) - (this.counts[oldest] as number)) / (dt / 1000);
  }
}

/** The hub's metrics in the Prometheus text exposition format. */
export function hubMetricsText(dashboards: number, stats: HubStats): string {
  return [
    '# HELP bask_dashboards Dashboards connected.',
    '# TYPE bask_dashboards gauge',
    `bask_dashboards ${dashboards}`,
    '# HELP bask_dashboard_frames_total Dashboard frames, by outcome (dropped: the dashboard was behind).',
    '# TYPE bask_dashboard_frames_total counter',
    `bask_dashboard_frames_total{outcome="sent"} ${stats.framesSent}`,
    `bask_dashboard_frames_total{outcome="dropped"} ${stats.framesDropped}`,
    '# HELP bask_dashboard_sent_bytes_total Bytes sent to dashboards.',
    '# TYPE bask_dashboard_sent_bytes_total counter',
    `bask_dashboard_sent_bytes_total ${stats.bytesSent}`,
    '# HELP bask_dashboard_buffered_bytes_max The most bytes seen waiting in a dashboard socket.',
    '# TYPE bask_dashboard_buffered_bytes_max gauge',
    `bask_dashboard_buffered_bytes_max ${stats.maxBuffered}`,
    '# HELP bask_dashboard_busy_seconds_total Time the scheduler spent on dashboards.',
    '# TYPE bask_dashboard_busy_seconds_total counter',
    `bask_dashboard_busy_seconds_total ${stats.busyMs / 1000}`,
    '# HELP bask_dashboards_refused_total Dashboards refused (too many connected).',
    '# TYPE bask_dashboards_refused_total counter',
    `bask_dashboards_refused_total ${stats.refused}`,
    '',
  ].join('\n');
}
