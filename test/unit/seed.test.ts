import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { compute, delayed, type Delayed } from '../../src/index.node.js';
import { BaskError } from '../../src/errors.js';
import { describeFunction } from '../../src/graph/fnref.js';
import { DatetimeIndex, parseCsv, type Series } from '../../src/frame/index.js';
import {
  buildSpreadPairs,
  buildSpreads,
  generateStocks,
  parsePrices,
  readPrices,
  spreadsPlain,
  tasks,
} from '../../src/seed/index.js';
import { listCsvFiles, writeStocks } from '../../src/seed/node.js';
import { thrownBask } from '../helpers.js';

const FULL = generateStocks();

describe('generateStocks', () => {
  it('makes 250 files of 390 bars, one per weekday from 2023-01-02', () => {
    expect(FULL).toHaveLength(250);
    expect(FULL[0]?.name).toBe('2023-01-02.csv');
    const dates = FULL.map((f) => f.name.replace('.csv', ''));
    expect(new Set(dates).size).toBe(250);
    for (const date of dates) {
      const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
      expect(weekday).toBeGreaterThanOrEqual(1);
      expect(weekday).toBeLessThanOrEqual(5);
    }
    // Consecutive weekdays, in order: 250 weekdays are 50 whole weeks, Monday to Friday.
    expect(dates[249]).toBe('2023-12-15');
    expect([...dates].sort()).toEqual(dates);
  });

  it('writes the tutorial layout: header, 390 rows from 09:30, 4-decimal prices, integer volume', () => {
    const lines = (FULL[0]?.text ?? '').split('\n');
    expect(lines[0]).toBe('timestamp,open,high,low,close,volume');
    expect(lines).toHaveLength(392);
    expect(lines[391]).toBe('');
    expect(lines[1]).toMatch(
      /^2023-01-02 09:30:00,100\.0000,\d+\.\d{4},\d+\.\d{4},\d+\.\d{4},\d+$/,
    );
    expect(lines[390]?.startsWith('2023-01-02 15:59:00,')).toBe(true);
    for (const line of lines.slice(1, -1)) expect(line).toMatch(/^\S+ \S+,(\d+\.\d{4},){4}\d+$/);
  });

  it('keeps the bar invariants, across days too', () => {
    let previousClose: number | undefined;
    for (const file of FULL.slice(0, 20)) {
      const df = parseCsv(file.text, { parseDates: ['timestamp'], indexCol: 'timestamp' });
      expect(df.length).toBe(390);
      const { open, high, low, close, volume } = df;
      if (previousClose !== undefined) expect(open.at(0)).toBe(previousClose);
      for (let i = 0; i < df.length; i++) {
        if (i > 0) expect(open.at(i)).toBe(close.at(i - 1));
        expect(high.at(i)).toBeGreaterThanOrEqual(Math.max(open.at(i), close.at(i)));
        expect(low.at(i)).toBeLessThanOrEqual(Math.min(open.at(i), close.at(i)));
        expect(low.at(i)).toBeGreaterThan(0);
        expect(Number.isInteger(volume.at(i))).toBe(true);
        expect(volume.at(i)).toBeGreaterThanOrEqual(1000);
        expect(volume.at(i)).toBeLessThan(50000);
      }
      previousClose = close.at(-1);
    }
  });

  it('is deterministic, and the seed changes it', () => {
    expect(generateStocks()).toEqual(FULL);
    expect(generateStocks({ days: 3 })).toEqual(FULL.slice(0, 3));
    const other = generateStocks({ days: 3, seed: 7 });
    expect(other.map((f) => f.name)).toEqual(FULL.slice(0, 3).map((f) => f.name));
    expect(other[0]?.text).not.toBe(FULL[0]?.text);
    expect(generateStocks({ days: 3, seed: 7 })).toEqual(other);
  });

  it('pins the first bars of the default seed, so that every runtime can check it', () => {
    expect(FULL[0]?.text.split('\n').slice(1, 3)).toEqual([
      '2023-01-02 09:30:00,100.0000,100.0821,99.9486,100.0488,6898',
      '2023-01-02 09:31:00,100.0488,100.0590,99.9422,99.9680,13228',
    ]);
  });

  it('takes start, days and minutes, skipping weekends from start', () => {
    const files = generateStocks({ start: '2024-03-01', days: 3, minutes: 2 });
    expect(files.map((f) => f.name)).toEqual([
      '2024-03-01.csv',
      '2024-03-04.csv',
      '2024-03-05.csv',
    ]);
    expect(files[1]?.text.split('\n').map((l) => l.slice(0, 19))).toEqual([
      'timestamp,open,high',
      '2024-03-04 09:30:00',
      '2024-03-04 09:31:00',
      '',
    ]);
    expect(generateStocks({ days: 0 })).toEqual([]);
  });

  it('rejects bad options with ERR_INVALID_ARGUMENT', () => {
    for (const options of [
      { days: -1 },
      { days: 1.5 },
      { minutes: 0 },
      { minutes: 871 },
      { seed: -1 },
      { start: '2023-02-30' },
      { start: '1/2/2023' },
    ]) {
      expect(thrownBask(() => generateStocks(options)).code).toBe('ERR_INVALID_ARGUMENT');
    }
  });
});

describe('readPrices', () => {
  const day = FULL[0]?.text ?? '';

  it('reads the generated files: indexed by timestamp, with high and low', async () => {
    const df = await readPrices(new TextEncoder().encode(day));
    expect(df.index).toBeInstanceOf(DatetimeIndex);
    expect(df.index.name).toBe('timestamp');
    expect(df.index.at(0).toISOString()).toBe('2023-01-02T09:30:00.000Z');
    expect(df.columns).toEqual(['open', 'high', 'low', 'close', 'volume']);
    expect(df.high.max()).toBeGreaterThan(df.low.min());
  });

  it('finds the timestamp column by name, case-insensitively, and renames High/Low', () => {
    const text = 'Symbol,Date,Open,High,Low\nX,2023-01-02,1,3,0.5\nX,2023-01-03,2,4,1\n';
    const df = parsePrices(text);
    expect(df.index.name).toBe('Date');
    expect(df.columns).toEqual(['Open', 'high', 'low']);
    expect([df.high.max(), df.low.min()]).toEqual([4, 0.5]);
  });

  it('finds the timestamp column by its contents when no name fits', () => {
    const df = parsePrices('id,when,high,low\n7,2023-01-02 10:00,3,1\n8,2023-01-02 10:01,4,2\n');
    expect(df.index.name).toBe('when');
    expect(df.index.at(-1).toISOString()).toBe('2023-01-02T10:01:00.000Z');
  });

  it('takes the columns from options', () => {
    const text = 'day,hi,lo,high\n2023-01-02,3,1,99\n';
    const df = parsePrices(text, { timestamp: 'DAY', high: 'hi', low: 'lo' });
    expect(df.index.name).toBe('day');
    expect([df.high.at(0), df.low.at(0)]).toEqual([3, 1]);
  });

  it('names the file, its columns and the flag when a column is missing', () => {
    const cases = [
      ['id,high,low\n1,2,1\n', {}, /no timestamp column.*id, high, low.*--timestamp/],
      ['timestamp,hi,low\n2023-01-02,2,1\n', {}, /no 'high' column.*timestamp, hi, low.*--high/],
      ['timestamp,high,lo\n2023-01-02,2,1\n', {}, /no 'low' column.*--low/],
      ['timestamp,high,low\n2023-01-02,2,1\n', { high: 'Max' }, /no column 'Max'.*--high/],
      ['timestamp,high,low\n2023-01-02,2,1\n', { timestamp: 'ts' }, /no column 'ts'.*--timestamp/],
    ] as const;
    for (const [text, options, pattern] of cases) {
      const error = thrownBask(() => parsePrices(text, { ...options, name: 'day.csv' }));
      expect(error.code).toBe('ERR_CSV');
      expect(error.message).toMatch(/^'day\.csv' /);
      expect(error.message).toMatch(pattern);
    }
  });

  it('says that a header without data rows has no prices, naming the file (not index.at(0))', async () => {
    const header = 'timestamp,open,high,low,close,volume';
    for (const text of [`${header}\n`, header, `${header}\r\n\r\n  \n`, 'when,hi,lo\n']) {
      const error = thrownBask(() => parsePrices(text, { name: 'header_only.csv' }));
      expect(error.code).toBe('ERR_CSV');
      expect(error.message).toMatch(/^'header_only\.csv' has a header \(.*\) but no data rows/);
    }
    // The same from a File, as the demo and the workers read it.
    const file = new File([`${header}\n`], 'header_only.csv');
    const read = await readPrices(file).catch((error: unknown) => error);
    expect(read).toBeInstanceOf(BaskError);
    expect((read as BaskError).code).toBe('ERR_CSV');
    expect((read as BaskError).message).toMatch(/^'header_only\.csv' has a header .* no data rows/);
    // And through the graph, on the sync scheduler, as `bask spreads` and the demo run it.
    const { spreads, days } = buildSpreads([file]);
    const computed = await compute(spreads, days, { scheduler: 'sync' }).catch((e: unknown) => e);
    expect((computed as BaskError).code).toBe('ERR_CSV');
    expect((computed as BaskError).message).toContain("'header_only.csv' has a header");
  });

  it('names the file when the first row has no timestamp or a price column has no price', () => {
    const cases = [
      ['timestamp,high,low\n,2,1\n2023-01-02 09:31,3,1\n', /no timestamp in its first data row/],
      [
        'timestamp,High,low\n2023-01-02 09:30,,1\n2023-01-02 09:31,NA,1\n',
        /no high prices.*'High'/,
      ],
      ['timestamp,high,low\n2023-01-02 09:30,2,\n', /no low prices.*'low'/],
    ] as const;
    for (const [text, pattern] of cases) {
      const error = thrownBask(() => parsePrices(text, { name: 'd.csv' }));
      expect(error.code).toBe('ERR_CSV');
      expect(error.message).toMatch(/^'d\.csv' /);
      expect(error.message).toMatch(pattern);
    }
  });

  it('passes on parse errors with the line', () => {
    const error = thrownBask(() =>
      parsePrices('timestamp,high,low\n2023-01-02,2,1\nyesterday,2,1\n', { name: 'd.csv' }),
    );
    expect(error.message).toMatch(/^'d\.csv', line 3: cannot read "yesterday"/);
  });
});

describe('spreads', () => {
  const files = FULL.slice(0, 4);

  it('buildSpreads + compute equals spreadsPlain', async () => {
    const graph = buildSpreads(files.map((f) => new File([f.text], f.name)));
    const [spreads, days] = await compute(graph.spreads, graph.days, { scheduler: 'sync' });
    const plain = spreadsPlain(files);
    expect(spreads).toEqual(plain.spreads);
    expect(days).toEqual(plain.days);
    expect(days.map((d) => d.toISOString())).toEqual(
      files.map((f) => `${f.name.slice(0, 10)}T09:30:00.000Z`),
    );
    for (const s of spreads) expect(s).toBeGreaterThan(0);
  });

  it('buildSpreadPairs gives the same values, from one fused task per file', async () => {
    const sources = files.map((f) => new File([f.text], f.name));
    const ended: string[] = [];
    const [pairs] = await compute(buildSpreadPairs(sources), {
      scheduler: 'sync',
      fuse: true,
      callbacks: [{ taskEnd: (e: { key: string }) => ended.push(e.key) }],
    });
    const plain = spreadsPlain(files);
    expect(pairs).toEqual(plain.spreads.map((spread, i) => [spread, plain.days[i]]));
    // Each file's read and spreadAndDay form a chain: one task per file runs.
    expect(ended).toHaveLength(files.length);
    await expect(
      compute(buildSpreadPairs([new File(['timestamp,high\n2023-01-02,1\n'], 'nolow.csv')])),
    ).rejects.toThrow(/'nolow\.csv' has no 'low' column/);
  });

  it('matches a direct computation', () => {
    const { spreads } = spreadsPlain(files.slice(0, 1));
    const df = parseCsv(files[0]?.text ?? '');
    expect(spreads[0]).toBe(df.high.max() - df.low.min());
  });

  it('passes the column mapping to every read', async () => {
    const text = 'When,Hi,Lo\n2023-01-02 10:00,3,1\n2023-01-02 10:01,5,2\n';
    const graph = buildSpreads([new TextEncoder().encode(text)], {
      timestamp: 'When',
      high: 'Hi',
      low: 'Lo',
    });
    const [spreads, days] = await compute(graph.spreads, graph.days, { scheduler: 'sync' });
    expect(spreads).toEqual([4]);
    expect(days).toEqual([new Date(Date.UTC(2023, 0, 2, 10))]);
  });

  it('fails the computation with the CSV error of the bad file', async () => {
    const graph = buildSpreads([new File(['timestamp,high\n2023-01-02,1\n'], 'nolow.csv')]);
    await expect(compute(graph.spreads, { scheduler: 'sync' })).rejects.toThrow(
      /'nolow\.csv' has no 'low' column/,
    );
  });

  it('types the lazy frame like the real one', () => {
    const df = delayed(tasks.readPrices)('a.csv');
    expectTypeOf(df.high).toEqualTypeOf<Delayed<Series>>();
    expectTypeOf(df.index.at(0)).toEqualTypeOf<Delayed<Date>>();
    expectTypeOf(buildSpreads([]).spreads).toEqualTypeOf<Delayed<number>[]>();
    expectTypeOf(parsePrices(FULL[0]?.text ?? '').index).toEqualTypeOf<DatetimeIndex>();
    expectTypeOf(
      parseCsv('t\n2023-01-02\n', { indexCol: 't' }).index,
    ).toEqualTypeOf<DatetimeIndex>();
    expect(df.key).toMatch(/^readPrices-/);
  });

  it('records readable keys and ships readPrices by module reference', () => {
    const graph = buildSpreads(['a.csv']);
    expect(graph.spreads[0]?.key).toMatch(/^sub-/);
    expect(describeFunction(tasks.readPrices)).toMatchObject({
      kind: 'module',
      name: 'readPrices',
    });
    expect(describeFunction(tasks.readCsv)).toMatchObject({ kind: 'module', name: 'readCsv' });
  });
});

describe('seed/node', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bask-seed-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the files under <dir>/<symbol> and lists them back in order', async () => {
    const paths = await writeStocks(dir, { days: 3, minutes: 5 });
    expect(paths).toEqual(
      ['2023-01-02.csv', '2023-01-03.csv', '2023-01-04.csv'].map((n) => join(dir, 'GOOG', n)),
    );
    expect(await readFile(paths[0] as string, 'utf8')).toBe(
      generateStocks({ days: 1, minutes: 5 })[0]?.text,
    );
    await writeFile(join(dir, 'GOOG', 'notes.txt'), 'not a csv');
    expect(await listCsvFiles(join(dir, 'GOOG'))).toEqual(paths);
    expect(await listCsvFiles(paths[1] as string)).toEqual([paths[1]]);
    const symbol = await writeStocks(dir, { days: 1, symbol: 'MSFT' });
    expect(symbol).toEqual([join(dir, 'MSFT', '2023-01-02.csv')]);
  });

  it('reads the written files with readPrices and buildSpreads', async () => {
    const paths = await listCsvFiles(join(dir, 'GOOG'));
    const df = await readPrices(paths[0] as string);
    expect(df.length).toBe(5);
    const graph = buildSpreads(paths);
    const [spreads] = await compute(graph.spreads, { scheduler: 'sync' });
    expect(spreads).toEqual(spreadsPlain(generateStocks({ days: 3, minutes: 5 })).spreads);
  });

  it('rejects a missing path and a bad symbol', async () => {
    await expect(listCsvFiles(join(dir, 'missing'))).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    await expect(writeStocks(dir, { symbol: '../x' })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
  });
});
