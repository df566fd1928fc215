import { describe, expect, it } from 'vitest';
import { DataFrame, DatetimeIndex, RangeIndex, Series, type Frame } from '../../src/frame/index.js';
import { thrownBask } from '../helpers.js';

const f64 = (...xs: number[]): Float64Array => Float64Array.from(xs);

describe('Series', () => {
  it('reduces like pandas, skipping NaN', () => {
    const s = new Series('x', f64(3, NaN, -1, 4));
    expect(s.length).toBe(4);
    expect(s.max()).toBe(4);
    expect(s.min()).toBe(-1);
    expect(s.sum()).toBe(6);
    expect(s.mean()).toBe(2);
  });

  it('gives NaN for max/min/mean of nothing, and 0 for its sum', () => {
    for (const s of [new Series('e', f64()), new Series('n', f64(NaN, NaN))]) {
      expect(s.max()).toBeNaN();
      expect(s.min()).toBeNaN();
      expect(s.mean()).toBeNaN();
      expect(s.sum()).toBe(0);
    }
  });

  it('keeps infinities', () => {
    const s = new Series('x', f64(-Infinity, 1, Infinity));
    expect(s.max()).toBe(Infinity);
    expect(s.min()).toBe(-Infinity);
  });

  it('reads positions, negative ones from the end', () => {
    const s = new Series('x', f64(10, 20, 30));
    expect(s.at(0)).toBe(10);
    expect(s.at(-1)).toBe(30);
    expect(s.at(-3)).toBe(10);
  });

  it('rejects positions out of range or not integers', () => {
    const s = new Series('x', f64(10, 20));
    expect(thrownBask(() => s.at(2)).code).toBe('ERR_INVALID_ARGUMENT');
    expect(thrownBask(() => s.at(-3)).message).toMatch(/out of range for length 2/);
    expect(thrownBask(() => s.at(0.5)).message).toMatch(/integer/);
    expect(thrownBask(() => new Series('e', f64()).at(0)).message).toMatch(/empty/);
  });

  it('requires a Float64Array', () => {
    expect(thrownBask(() => new Series('x', [1, 2] as unknown as Float64Array)).code).toBe(
      'ERR_INVALID_ARGUMENT',
    );
  });
});

describe('DatetimeIndex and RangeIndex', () => {
  const t0 = Date.UTC(2023, 0, 2, 9, 30);
  const t1 = Date.UTC(2023, 0, 2, 9, 31);

  it('hands out Dates, skipping missing timestamps in min/max', () => {
    const index = new DatetimeIndex(f64(t1, NaN, t0), 'timestamp');
    expect(index.name).toBe('timestamp');
    expect(index.length).toBe(3);
    expect(index.at(0)).toEqual(new Date(t1));
    expect(index.at(-1)).toEqual(new Date(t0));
    expect(Number.isNaN(index.at(1).getTime())).toBe(true);
    expect(index.min()).toEqual(new Date(t0));
    expect(index.max()).toEqual(new Date(t1));
  });

  it('gives Invalid Dates for min/max of an empty index', () => {
    const index = new DatetimeIndex(f64());
    expect(Number.isNaN(index.min().getTime())).toBe(true);
    expect(Number.isNaN(index.max().getTime())).toBe(true);
    expect(thrownBask(() => index.at(0)).code).toBe('ERR_INVALID_ARGUMENT');
  });

  it('hands out a fresh Date each time', () => {
    const index = new DatetimeIndex(f64(t0));
    index.at(0).setUTCFullYear(1999);
    expect(index.at(0).getTime()).toBe(t0);
  });

  it('numbers rows in a RangeIndex', () => {
    const index = new RangeIndex(3);
    expect([index.at(0), index.at(-1), index.min(), index.max(), index.length]).toEqual([
      0, 2, 0, 2, 3,
    ]);
    expect(new RangeIndex(0).max()).toBeNaN();
  });
});

describe('DataFrame', () => {
  const make = (): Frame<'high' | 'low'> =>
    new DataFrame([new Series('High', f64(2, 3)), new Series('low', f64(1, 0.5))], {
      index: new DatetimeIndex(f64(0, 60_000), 'timestamp'),
    }) as Frame<'high' | 'low'>;

  it('reads columns as properties, by exact and lowercased name', () => {
    const df = make();
    expect(df.columns).toEqual(['High', 'low']);
    expect(df.length).toBe(2);
    expect(df.high.max()).toBe(3);
    expect((df as unknown as Record<string, Series>)['High']).toBe(df.high);
    expect(df.low.min()).toBe(0.5);
    expect(df.index.at(0)).toEqual(new Date(0));
  });

  it('finds columns with col(): exact name first, then ignoring case', () => {
    const df = new DataFrame([new Series('a', f64(1)), new Series('A', f64(2))]);
    expect(df.col('A').at(0)).toBe(2);
    expect(df.col('a').at(0)).toBe(1);
    expect(new DataFrame([new Series('Close', f64(5))]).col('CLOSE').at(0)).toBe(5);
  });

  it('names the columns there are when one is missing', () => {
    const error = thrownBask(() => make().col('volume'));
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
    expect(error.message).toContain("no column 'volume'");
    expect(error.message).toContain('High, low');
  });

  it('says why a text column is missing', () => {
    const df = new DataFrame([new Series('x', f64(1))], { omitted: ['symbol'] });
    expect(thrownBask(() => df.col('Symbol')).message).toMatch(/'symbol' held text/);
  });

  it('never lets a column shadow a member', () => {
    const df = new DataFrame([
      new Series('index', f64(1)),
      new Series('col', f64(2)),
      new Series('columns', f64(3)),
    ]);
    expect(df.index).toBeInstanceOf(RangeIndex);
    expect(typeof df.col).toBe('function');
    expect(df.columns).toEqual(['index', 'col', 'columns']);
    expect(df.col('index').at(0)).toBe(1);
    expect(df.col('columns').at(0)).toBe(3);
  });

  it('defaults to a RangeIndex and checks lengths and names', () => {
    expect(new DataFrame([new Series('x', f64(1, 2))]).index).toEqual(new RangeIndex(2));
    expect(
      thrownBask(() => new DataFrame([new Series('x', f64(1)), new Series('y', f64(1, 2))]))
        .message,
    ).toMatch(/expected 1/);
    expect(
      thrownBask(() => new DataFrame([new Series('x', f64(1)), new Series('x', f64(2))])).message,
    ).toMatch(/twice/);
  });
});

describe('toData / fromData', () => {
  it('round-trips a Series through structuredClone', () => {
    const s = new Series('x', f64(1, NaN, 3));
    const back = Series.fromData(structuredClone(Series.toData(s)));
    expect(back).toBeInstanceOf(Series);
    expect(back.name).toBe('x');
    expect(back.values).toBeInstanceOf(Float64Array);
    expect([...back.values]).toEqual([1, NaN, 3]);
  });

  it('round-trips both indexes through structuredClone', () => {
    const dt = DatetimeIndex.fromData(
      structuredClone(DatetimeIndex.toData(new DatetimeIndex(f64(5, 6), 'ts'))),
    );
    expect(dt).toBeInstanceOf(DatetimeIndex);
    expect([dt.name, ...dt.values]).toEqual(['ts', 5, 6]);
    const range = RangeIndex.fromData(structuredClone(RangeIndex.toData(new RangeIndex(4))));
    expect(range).toBeInstanceOf(RangeIndex);
    expect(range.length).toBe(4);
  });

  it('round-trips a DataFrame through structuredClone, properties included', () => {
    const df = new DataFrame([new Series('High', f64(2, 3)), new Series('low', f64(1, NaN))], {
      index: new DatetimeIndex(f64(0, 60_000), 'timestamp'),
      omitted: ['symbol'],
    });
    const back = DataFrame.fromData(structuredClone(DataFrame.toData(df))) as Frame<'high' | 'low'>;
    expect(back).toBeInstanceOf(DataFrame);
    expect(back.columns).toEqual(['High', 'low']);
    expect(back.index).toBeInstanceOf(DatetimeIndex);
    expect(back.index.at(1)).toEqual(new Date(60_000));
    expect(back.high).toBeInstanceOf(Series);
    expect([...back.high.values]).toEqual([2, 3]);
    expect([...back.low.values]).toEqual([1, NaN]);
    expect(back.omitted).toEqual(['symbol']);
    const range = DataFrame.fromData(
      structuredClone(DataFrame.toData(new DataFrame([new Series('x', f64(1))]))),
    );
    expect(range.index).toBeInstanceOf(RangeIndex);
  });
});
