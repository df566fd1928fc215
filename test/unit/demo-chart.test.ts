/**
 * The demo chart's data (demo/ui/chart-data.ts): which days are joined by a line, how days
 * become pixel columns at 2,000 and 20,000 points without losing a spike, and the band where
 * several files share a day. Pure functions, so plain Node.
 */
import { describe, expect, it } from 'vitest';
import {
  DAY_SECONDS,
  isNextTradingDay,
  layoutChart,
  toDayPoints,
  type DayPoint,
} from '../../demo/ui/chart-data.js';

const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 1000;

/** `n` weekdays from Monday 2 January 2023, one file each, spread `f(i)`. */
function weekdays(n: number, f: (i: number) => number = (i) => 1 + (i % 7) / 10): DayPoint[] {
  const out: DayPoint[] = [];
  for (let t = day('2023-01-02'); out.length < n; t += DAY_SECONDS) {
    const weekday = new Date(t * 1000).getUTCDay();
    if (weekday !== 0 && weekday !== 6) {
      out.push({ day: t, spread: f(out.length), file: `${out.length}.csv` });
    }
  }
  return out;
}

describe('demo chart data', () => {
  it('joins consecutive trading days only: the next day, or Friday to Monday', () => {
    expect(isNextTradingDay(day('2023-03-01'), day('2023-03-02'))).toBe(true);
    expect(isNextTradingDay(day('2023-03-03'), day('2023-03-06'))).toBe(true); // Fri -> Mon
    expect(isNextTradingDay(day('2023-03-04'), day('2023-03-05'))).toBe(true); // Sat -> Sun
    expect(isNextTradingDay(day('2023-03-01'), day('2023-03-03'))).toBe(false); // Thu missing
    expect(isNextTradingDay(day('2023-03-02'), day('2023-03-06'))).toBe(false); // Fri missing
    expect(isNextTradingDay(day('2023-03-03'), day('2023-03-07'))).toBe(false); // Mon missing
  });

  it('breaks the line with a null after the last day before a gap', () => {
    const points = toDayPoints([
      { file: 'c.csv', day: new Date('2023-03-14T09:30:00Z'), spread: 3 },
      { file: 'a.csv', day: new Date('2023-03-02T09:30:00Z'), spread: 1 },
      undefined,
      { file: 'b.csv', day: new Date('2023-03-03T09:30:00Z'), spread: 2 },
      { file: 'nan.csv', day: new Date(NaN), spread: 2 },
    ]);
    expect(points.map((p) => p.file)).toEqual(['a.csv', 'b.csv', 'c.csv']);
    const data = layoutChart(points, 500);
    expect(data).toMatchObject({ mode: 'days', single: true, segments: 2, days: 3, files: 3 });
    expect(data.x).toEqual([
      day('2023-03-02'),
      day('2023-03-03'),
      day('2023-03-04'),
      day('2023-03-14'),
    ]);
    expect(data.max).toEqual([1, 2, null, 3]);
    expect(data.buckets[1]?.file).toBe('b.csv');
  });

  it('draws several files of one day as a band from the lowest to the highest spread', () => {
    const t = day('2023-03-01');
    const data = layoutChart(
      [
        { day: t, spread: 1, file: 'A/2023-03-01.csv' },
        { day: t, spread: 4, file: 'B/2023-03-01.csv' },
        { day: t + DAY_SECONDS, spread: 2, file: 'A/2023-03-02.csv' },
      ],
      500,
    );
    expect(data).toMatchObject({ mode: 'days', single: false, days: 2, files: 3 });
    expect(data.min).toEqual([1, 2]);
    expect(data.max).toEqual([4, 2]);
    expect(data.buckets[0]).toMatchObject({ count: 2, file: undefined });
  });

  for (const n of [2_000, 20_000]) {
    it(`draws ${n.toLocaleString('en-US')} days in at most one column per pixel, keeping every extreme`, () => {
      // One spike per 1,000 days, so that a column that dropped it would show.
      const points = weekdays(n, (i) => (i % 1000 === 500 ? 50 : 1 + (i % 7) / 10));
      const data = layoutChart(points, 450);
      expect(data.mode).toBe('buckets');
      expect(data.segments).toBe(1);
      const drawn = data.buckets.filter((b) => b !== undefined);
      expect(drawn.length).toBeLessThanOrEqual(450);
      expect(drawn.length).toBeGreaterThan(400);
      expect(drawn.reduce((sum, b) => sum + b.count, 0)).toBe(n);
      expect(data.max.filter((v) => v === 50)).toHaveLength(n / 1000);
      expect(Math.min(...data.min.map((v) => v ?? Infinity))).toBe(1);
      // Zoomed into 100 days: one point per day again.
      const from = points[1000]?.day ?? 0;
      const zoomed = layoutChart(points, 450, [from, from + 140 * DAY_SECONDS]);
      expect(zoomed).toMatchObject({ mode: 'days', single: true, days: 101 });
    });
  }
});
