/**
 * What the spread chart draws, as pure functions of the results and the chart's width (the
 * view in chart.ts only hands the arrays to uPlot).
 *
 * Policy, so that the chart never claims more than the data says:
 * - x is the day (UTC midnight of each file's first timestamp); failed files are left out.
 * - Consecutive points are joined only when they are consecutive trading days (the next day, or
 *   the Monday after a Friday); a missing day breaks the line with a null, and uPlot leaves the
 *   gap open (`spanGaps: false`).
 * - With at most one day per pixel each day is a point of its own; with more, the days are
 *   grouped into one bucket per pixel column and drawn as their lowest and highest spread, so
 *   that 20,000 days cost 500 points and no spike disappears between pixels.
 * - Several files on one day (several symbols) are drawn as a band from their lowest to their
 *   highest spread, never as a line zigzagging between them.
 */

/** One successful file: its day (seconds, UTC midnight), spread and name. */
export interface DayPoint {
  readonly day: number;
  readonly spread: number;
  readonly file: string;
}

/** The files drawn at one x: one day, or the days of one pixel column. */
export interface Bucket {
  /** The first and last day in the bucket (seconds, UTC midnight). */
  readonly first: number;
  readonly last: number;
  readonly min: number;
  readonly max: number;
  /** How many files. */
  readonly count: number;
  /** The file, when the bucket holds exactly one. */
  readonly file: string | undefined;
}

/** The arrays uPlot draws, and what they mean. */
export interface ChartData {
  /** 'days': one x per day; 'buckets': one x per pixel column, several days each. */
  readonly mode: 'days' | 'buckets';
  /** Every bucket holds one file: one line, not a band. */
  readonly single: boolean;
  readonly x: number[];
  readonly min: (number | null)[];
  readonly max: (number | null)[];
  /** The bucket at each x; undefined where a null breaks the line. */
  readonly buckets: (Bucket | undefined)[];
  /** How many unbroken runs of points. */
  readonly segments: number;
  /** How many files and distinct days are drawn (those in the view). */
  readonly files: number;
  readonly days: number;
}

/** A successful result, as the page's results hold it. */
export interface SpreadPoint {
  readonly file: string;
  readonly day: Date;
  readonly spread: number;
}

export const DAY_SECONDS = 86_400;

/** The day (UTC midnight, in seconds) of a timestamp in milliseconds. */
export function dayOf(ms: number): number {
  return Math.floor(ms / 1000 / DAY_SECONDS) * DAY_SECONDS;
}

/** `YYYY-MM-DD` of a day in seconds. */
export function formatDay(day: number): string {
  return new Date(day * 1000).toISOString().slice(0, 10);
}

/** The points to draw, in day order: successes with a real day and a finite spread. */
export function toDayPoints(results: readonly (SpreadPoint | undefined)[]): DayPoint[] {
  const points: DayPoint[] = [];
  for (const r of results) {
    if (r === undefined) continue;
    const ms = r.day.getTime();
    if (Number.isFinite(ms) && Number.isFinite(r.spread)) {
      points.push({ day: dayOf(ms), spread: r.spread, file: r.file });
    }
  }
  return points.sort((a, b) => a.day - b.day);
}

/**
 * Whether day `b` is the trading day after day `a` (both UTC midnights, `a < b`): no day in
 * between, or only Saturday and Sunday.
 */
export function isNextTradingDay(a: number, b: number): boolean {
  const between = Math.round((b - a) / DAY_SECONDS) - 1;
  if (between <= 0) return true;
  if (between > 2) return false;
  for (let k = 1; k <= between; k++) {
    const weekday = new Date((a + k * DAY_SECONDS) * 1000).getUTCDay();
    if (weekday !== 0 && weekday !== 6) return false;
  }
  return true;
}

/**
 * The chart's arrays for the points within `view` (inclusive, seconds; undefined: all), at
 * most `columns` x values apart from the gap markers (`columns`: the plot's width in pixels).
 */
export function layoutChart(
  points: readonly DayPoint[],
  columns: number,
  view?: readonly [number, number],
): ChartData {
  const shown =
    view === undefined ? points : points.filter((p) => p.day >= view[0] && p.day <= view[1]);
  const days = countDays(shown);
  const mode = days <= columns ? 'days' : 'buckets';
  const buckets = mode === 'days' ? byDay(shown) : byColumn(shown, columns);
  const x: number[] = [];
  const drawn: (Bucket | undefined)[] = [];
  let segments = buckets.length === 0 ? 0 : 1;
  buckets.forEach((bucket, i) => {
    const before = buckets[i - 1];
    if (before !== undefined && !isNextTradingDay(before.last, bucket.first)) {
      // A null one day after the last drawn day: uPlot breaks the line there.
      x.push(before.last + DAY_SECONDS);
      drawn.push(undefined);
      segments++;
    }
    x.push(mode === 'days' ? bucket.first : (bucket.first + bucket.last) / 2);
    drawn.push(bucket);
  });
  return {
    mode,
    single: buckets.every((b) => b.count === 1),
    x,
    min: drawn.map((b) => b?.min ?? null),
    max: drawn.map((b) => b?.max ?? null),
    buckets: drawn,
    segments,
    files: shown.length,
    days,
  };
}

function countDays(points: readonly DayPoint[]): number {
  let days = 0;
  for (let i = 0; i < points.length; i++) {
    if (i === 0 || (points[i] as DayPoint).day !== (points[i - 1] as DayPoint).day) days++;
  }
  return days;
}

/** One bucket per distinct day. */
function byDay(points: readonly DayPoint[]): Bucket[] {
  return group(points, (p) => p.day);
}

/** One bucket per pixel column over the days from the first point to the last. */
function byColumn(points: readonly DayPoint[], columns: number): Bucket[] {
  const first = (points[0] as DayPoint).day;
  const span = (points[points.length - 1] as DayPoint).day - first + DAY_SECONDS;
  const width = span / Math.max(1, columns);
  return group(points, (p) => Math.min(columns - 1, Math.floor((p.day - first) / width)));
}

/** Buckets of consecutive points (in day order) with the same key. */
function group(points: readonly DayPoint[], keyOf: (p: DayPoint) => number): Bucket[] {
  const out: Bucket[] = [];
  let key = NaN;
  let current: { -readonly [K in keyof Bucket]: Bucket[K] } | undefined;
  for (const p of points) {
    const k = keyOf(p);
    if (current === undefined || k !== key) {
      key = k;
      current = { first: p.day, last: p.day, min: p.spread, max: p.spread, count: 0, file: p.file };
      out.push(current);
    }
    current.last = p.day;
    current.min = Math.min(current.min, p.spread);
    current.max = Math.max(current.max, p.spread);
    current.count++;
    if (current.count > 1) current.file = undefined;
  }
  return out;
}
