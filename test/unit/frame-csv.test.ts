import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  DatetimeIndex,
  parseCsv,
  parseTimestamp,
  previewCsv,
  RangeIndex,
  type Frame,
} from '../../src/frame/index.js';
import { thrownBask } from '../helpers.js';

const BARS = [
  'timestamp,open,high,low,close,volume',
  '2023-01-02 09:30:00,100.0000,100.5000,99.5000,100.2500,1200',
  '2023-01-02 09:31:00,100.2500,101.0000,100.0000,100.7500,3400',
].join('\n');
const DATES = { parseDates: ['timestamp'], indexCol: 'timestamp' };
const DATES_MODULE = fileURLToPath(new URL('../../src/frame/dates.ts', import.meta.url));

describe('parseCsv', () => {
  it('parses numbers into Float64Arrays and the index into timestamps', () => {
    const df = parseCsv(BARS + '\n', DATES);
    expect(df.columns).toEqual(['open', 'high', 'low', 'close', 'volume']);
    expect(df.high.values).toBeInstanceOf(Float64Array);
    expect([...df.high.values]).toEqual([100.5, 101]);
    expect(df.volume.sum()).toBe(4600);
    expect(df.index).toBeInstanceOf(DatetimeIndex);
    expect(df.index.name).toBe('timestamp');
    expect(df.index.at(0).toISOString()).toBe('2023-01-02T09:30:00.000Z');
    expect(df.length).toBe(2);
  });

  it('uses a RangeIndex without indexCol, and keeps parseDates columns as epoch ms', () => {
    const df = parseCsv<'timestamp' | 'high'>(BARS, { parseDates: ['timestamp'] });
    expect(df.index).toBeInstanceOf(RangeIndex);
    expect(df.timestamp.at(1)).toBe(Date.UTC(2023, 0, 2, 9, 31));
  });

  it('gives the same frame with or without a trailing newline, and with blank trailing lines', () => {
    const expected = parseCsv(BARS, DATES);
    for (const text of [BARS + '\n', BARS + '\n\n\n', BARS + '\n  \n\n', '\n' + BARS + '\n\n']) {
      const df = parseCsv(text, DATES);
      expect(df.columns).toEqual(expected.columns);
      expect([...df.close.values]).toEqual([...expected.close.values]);
      expect([...df.index.values]).toEqual([...expected.index.values]);
    }
  });

  it('handles a UTF-8 byte-order mark, in text and in bytes', () => {
    const bom = '\uFEFF' + BARS;
    expect(parseCsv(bom, DATES).columns[0]).toBe('open');
    expect(parseCsv(bom).omitted).toEqual(['timestamp']);
    const bytes = new TextEncoder().encode(bom);
    expect(bytes[0]).toBe(0xef);
    expect(parseCsv(bytes, DATES).high.max()).toBe(101);
    expect(parseCsv(bytes.buffer.slice(0), DATES).high.max()).toBe(101);
  });

  it('handles CRLF line ends', () => {
    const df = parseCsv(BARS.replace(/\n/g, '\r\n') + '\r\n', DATES);
    expect(df.columns).toEqual(['open', 'high', 'low', 'close', 'volume']);
    expect([...df.volume.values]).toEqual([1200, 3400]);
    expect(df.index.at(-1).toISOString()).toBe('2023-01-02T09:31:00.000Z');
  });

  it('handles CR-only line ends', () => {
    expect([...parseCsv('a,b\r1,2\r3,4\r').col('b').values]).toEqual([2, 4]);
  });

  it('handles quoted fields with commas, quotes and numbers', () => {
    const text = 'name,"high",low\n"Alphabet, Inc.","101.5",99\n"say ""hi""",102,"98"\n';
    const df = parseCsv(text);
    expect(df.columns).toEqual(['high', 'low']);
    expect([...df.high.values]).toEqual([101.5, 102]);
    expect([...df.low.values]).toEqual([99, 98]);
    expect(df.omitted).toEqual(['name']);
  });

  it('reports lines correctly after a quoted field spanning lines', () => {
    const error = thrownBask(() => parseCsv('a,b\n"x\ny",1\n2,3,4\n', { name: 'multi.csv' }));
    expect(error.message).toMatch(/^'multi\.csv', line 4: expected 2 fields/);
  });

  it('reads a header-only file as zero rows', () => {
    for (const text of [
      'timestamp,high,low',
      'timestamp,high,low\n',
      'timestamp,high,low\r\n\r\n',
    ]) {
      const df = parseCsv(text, DATES);
      expect(df.length).toBe(0);
      expect(df.columns).toEqual(['high', 'low']);
      expect(df.high.max()).toBeNaN();
    }
  });

  it('turns empty and NA cells into NaN', () => {
    const df = parseCsv('t,x,y\n2023-01-01,,1\n,NaN,N/A\n2023-01-03, 3 ,null\n', {
      parseDates: ['t'],
    });
    expect([...df.col('x').values]).toEqual([NaN, NaN, 3]);
    expect([...df.col('y').values]).toEqual([1, NaN, NaN]);
    expect([...df.col('t').values]).toEqual([Date.UTC(2023, 0, 1), NaN, Date.UTC(2023, 0, 3)]);
  });

  it('decides a column is numeric by its first non-empty cell; all-empty columns are numeric', () => {
    const df = parseCsv('a,b,c\n,x,\n2,y,\n');
    expect([...df.col('a').values]).toEqual([NaN, 2]);
    expect([...df.col('c').values]).toEqual([NaN, NaN]);
    expect(df.omitted).toEqual(['b']);
  });

  it('names blank and repeated header cells as pandas does', () => {
    expect(parseCsv(' a ,,a,a\n1,2,3,4\n').columns).toEqual(['a', 'Unnamed: 1', 'a.1', 'a.2']);
  });

  it('resolves option names case-insensitively, exact match first', () => {
    const df = parseCsv('Timestamp,High,high\n2023-01-02 10:00,1,2\n', {
      parseDates: ['TIMESTAMP'],
      indexCol: 'timestamp',
    });
    expect(df.index.name).toBe('Timestamp');
    expect(df.col('high').at(0)).toBe(2);
    expect(df.col('High').at(0)).toBe(1);
  });

  it('renames columns with the columns option; other options may use either name', () => {
    const text = 'Date,Hi,Lo\n2023-01-02,2,1\n';
    const df = parseCsv<'high' | 'low'>(text, {
      columns: { high: 'hi', low: 'Lo', timestamp: 'Date' },
      indexCol: 'timestamp',
    });
    expect(df.columns).toEqual(['high', 'low']);
    expect(df.high.at(0)).toBe(2);
    expect(df.index.name).toBe('timestamp');
    expect(parseCsv(text, { columns: { timestamp: 'Date' }, indexCol: 'date' }).index.name).toBe(
      'timestamp',
    );
  });

  it('reads a file name into error messages', () => {
    expect(thrownBask(() => parseCsv('', { name: 'x.csv' })).message).toMatch(/^'x\.csv' is empty/);
  });
});

describe('parseCsv errors', () => {
  it('rejects an empty file', () => {
    for (const text of ['', '\n\n', '   \r\n', '\uFEFF']) {
      const error = thrownBask(() => parseCsv(text, { name: 'empty.csv' }));
      expect(error.code).toBe('ERR_CSV');
      expect(error.message).toContain("'empty.csv' is empty");
    }
    expect(thrownBask(() => parseCsv(new Uint8Array(0))).message).toContain('is empty');
  });

  it('rejects binary input', () => {
    const png = new Uint8Array([
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
    ]);
    const nul = new TextEncoder().encode('a,b\n1,\u00002\n');
    for (const input of [png, png.buffer, nul, 'a,b\n1,\u00002\n', '\u0089PNG\r\n\u001a\n']) {
      const error = thrownBask(() => parseCsv(input, { name: 'image.png' }));
      expect(error.code).toBe('ERR_CSV');
      expect(error.message).toContain("'image.png'");
      expect(error.message).toContain('does not look like CSV text');
    }
  });

  it('rejects a row with the wrong number of fields, naming the line', () => {
    for (const [text, line, found] of [
      ['a,b\n1,2\n3,4,5\n', 3, 3],
      ['a,b\n1,2\n\n3\n', 4, 1],
      ['a,b\r\n1,2\r\n"x",2,3\r\n', 3, 3],
    ] as const) {
      const error = thrownBask(() => parseCsv(text, { name: 'rows.csv' }));
      expect(error.code).toBe('ERR_CSV');
      expect(error.message).toContain(
        `'rows.csv', line ${line}: expected 2 fields like the header, found ${found}`,
      );
    }
  });

  it('rejects a non-numeric cell in a numeric column, naming column, line and value', () => {
    const error = thrownBask(() =>
      parseCsv(BARS + '\n2023-01-02 09:32:00,1,abc,1,1,1\n', { name: 'bars.csv', ...DATES }),
    );
    expect(error.code).toBe('ERR_CSV');
    expect(error.message).toContain("'bars.csv', line 4");
    expect(error.message).toContain("column 'high'");
    expect(error.message).toContain('"abc"');
  });

  it('rejects an unparseable timestamp, naming the line', () => {
    const error = thrownBask(() =>
      parseCsv(BARS + '\n2023-02-30 09:32:00,1,1,1,1,1\n', { name: 'bars.csv', ...DATES }),
    );
    expect(error.code).toBe('ERR_CSV');
    expect(error.message).toContain("'bars.csv', line 4");
    expect(error.message).toContain('"2023-02-30 09:32:00"');
    expect(error.message).toContain("column 'timestamp'");
  });

  it('rejects a missing parseDates or indexCol column, naming the columns and how to map one', () => {
    const text = 'Date,High,Low\n2023-01-02,2,1\n';
    for (const options of [{ parseDates: ['timestamp'] }, { indexCol: 'timestamp' }]) {
      const error = thrownBask(() => parseCsv(text, { name: 'other.csv', ...options }));
      expect(error.code).toBe('ERR_CSV');
      expect(error.message).toContain("'other.csv' has no column 'timestamp'");
      expect(error.message).toContain('Date, High, Low');
      expect(error.message).toContain('columns: { "timestamp": "Date" }');
    }
    expect(thrownBask(() => parseCsv(text, { columns: { high: 'Hi' } })).message).toContain(
      "no column 'Hi'",
    );
  });

  it('rejects an unclosed quote', () => {
    const error = thrownBask(() => parseCsv('a,b\n1,2\n"3,4\n5,6\n', { name: 'q.csv' }));
    expect(error.code).toBe('ERR_CSV');
    expect(error.message).toMatch(/^'q\.csv', line 3: a quoted field is never closed/);
  });

  it('rejects bad options with ERR_INVALID_ARGUMENT', () => {
    const bad = [
      { parseDates: 'timestamp' },
      { indexCol: 1 },
      { columns: { a: 1 } },
      { nmae: 'x' },
    ];
    for (const options of bad) {
      expect(thrownBask(() => parseCsv(BARS, options as never)).code).toBe('ERR_INVALID_ARGUMENT');
    }
    expect(thrownBask(() => parseCsv(42 as never)).code).toBe('ERR_INVALID_ARGUMENT');
  });
});

describe('previewCsv', () => {
  it('returns the cleaned header and the first rows as text', () => {
    expect(
      previewCsv('\n Date ,x\n\n2023-01-02,1\n2023-01-03,2\n2023-01-04,3\n', { rows: 2 }),
    ).toEqual({
      header: ['Date', 'x'],
      rows: [
        ['2023-01-02', '1'],
        ['2023-01-03', '2'],
      ],
    });
  });
});

describe('parseTimestamp', () => {
  it('reads the fast ISO forms as naive UTC', () => {
    expect(parseTimestamp('2023-01-02')).toBe(Date.UTC(2023, 0, 2));
    expect(parseTimestamp('2023-01-02 09:30')).toBe(Date.UTC(2023, 0, 2, 9, 30));
    expect(parseTimestamp('2023-01-02T09:30:15')).toBe(Date.UTC(2023, 0, 2, 9, 30, 15));
    expect(parseTimestamp('2023-01-02 09:30:15.250')).toBe(Date.UTC(2023, 0, 2, 9, 30, 15, 250));
    expect(parseTimestamp('2023-01-02 09:30:15.5')).toBe(Date.UTC(2023, 0, 2, 9, 30, 15, 500));
    expect(parseTimestamp(' 2023-01-02 09:30 \r')).toBe(Date.UTC(2023, 0, 2, 9, 30));
    expect(parseTimestamp('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    expect(parseTimestamp('0050-06-01')).toBe(new Date('0050-06-01T00:00:00Z').getTime());
  });

  it('rejects out-of-range fields instead of rolling over', () => {
    for (const cell of [
      '2023-02-29',
      '2023-13-01',
      '2023-01-32',
      '2023-01-02 24:00',
      '2023-01-02 09:60',
      '2023-01-02 09:30:61',
    ]) {
      expect(parseTimestamp(cell)).toBeNaN();
    }
  });

  it('falls back to Date.parse for other forms', () => {
    expect(parseTimestamp('2023-01-02T09:30:00Z')).toBe(Date.UTC(2023, 0, 2, 9, 30));
    expect(parseTimestamp('2023-01-02T09:30:00+01:00')).toBe(Date.UTC(2023, 0, 2, 8, 30));
    expect(parseTimestamp('Mon, 02 Jan 2023 09:30:00 GMT')).toBe(Date.UTC(2023, 0, 2, 9, 30));
    expect(parseTimestamp('not a date')).toBeNaN();
    expect(parseTimestamp('')).toBeNaN();
  });

  it('reads cells of digits as YYYYMMDD, epoch seconds or epoch milliseconds', () => {
    expect(parseTimestamp('20230102')).toBe(Date.UTC(2023, 0, 2));
    expect(parseTimestamp('1672651800')).toBe(Date.UTC(2023, 0, 2, 9, 30));
    expect(parseTimestamp('1672651800250')).toBe(Date.UTC(2023, 0, 2, 9, 30, 0, 250));
    for (const cell of ['20231301', '12345', '930', '167265180012345']) {
      expect(parseTimestamp(cell)).toBeNaN();
    }
  });

  it('reads naive times of every form as UTC wall time, zoned ones as their instant', () => {
    expect(parseTimestamp('01/02/2023 20:30')).toBe(Date.UTC(2023, 0, 2, 20, 30));
    expect(parseTimestamp('Jan 2, 2023 9:30 PM')).toBe(Date.UTC(2023, 0, 2, 21, 30));
    // A year after a dash is not a zone offset.
    expect(parseTimestamp('02-Jan-2023')).toBe(Date.UTC(2023, 0, 2));
    expect(parseTimestamp('Jan 2, 2023 9:30 PM EST')).toBe(Date.UTC(2023, 0, 3, 2, 30));
    expect(parseTimestamp('Mon, 02 Jan 2023 09:30:00 +0100')).toBe(Date.UTC(2023, 0, 2, 8, 30));
    expect(parseTimestamp('2023-01-02 09:30:00.5Z')).toBe(Date.UTC(2023, 0, 2, 9, 30, 0, 500));
  });

  it('gives the same instants whatever the time zone of the machine', async () => {
    // Regression: naive forms that Date.parse reads (US dates, month names) were local time, so
    // an evening bar fell on the next day on a machine west of UTC.
    const cells = ['01/02/2023 20:30', 'Jan 2, 2023 9:30 PM', '02-Jan-2023', '2023/01/02 23:59'];
    const inZone = (tz: string): Promise<number[]> =>
      new Promise((resolve, reject) => {
        const script = `import { parseTimestamp } from ${JSON.stringify(DATES_MODULE)};
          console.log(JSON.stringify(${JSON.stringify(cells)}.map(parseTimestamp)));`;
        execFile(
          process.execPath,
          ['--import', 'tsx', '--input-type=module', '-e', script],
          { env: { ...process.env, TZ: tz } },
          (error, stdout, stderr) =>
            error
              ? reject(new Error(`node in ${tz} failed: ${stderr}`, { cause: error }))
              : resolve(JSON.parse(stdout) as number[]),
        );
      });
    const expected = cells.map(parseTimestamp);
    expect(await inZone('America/Los_Angeles')).toEqual(expected);
    expect(await inZone('Asia/Tokyo')).toEqual(expected);
    expect(expected[0]).toBe(Date.UTC(2023, 0, 2, 20, 30));
  });
});

describe('parseCsv separators', () => {
  it('reads tab-, semicolon- and pipe-separated files when the header has no comma', () => {
    for (const sep of ['\t', ';', '|']) {
      const df = parseCsv(
        ['timestamp', 'high', 'low'].join(sep) + '\n' + ['2023-01-02', '10', '9'].join(sep),
        DATES,
      );
      expect(df.columns).toEqual(['high', 'low']);
      expect(df.high.at(0)).toBe(10);
    }
  });

  it('reads decimal commas in semicolon-separated files, and names the line of a bad cell', () => {
    const df = parseCsv(
      'timestamp;high;low\n2023-01-02 09:30;10,5;-9,25\n2023-01-02 09:31;1e3;,5\n',
      DATES,
    );
    expect([...df.high.values]).toEqual([10.5, 1000]);
    expect([...df.low.values]).toEqual([-9.25, 0.5]);
    const error = thrownBask(() =>
      parseCsv('timestamp;high\n2023-01-02;1,5\n2023-01-03;1,5,5\n', { ...DATES, name: 'eu.csv' }),
    );
    expect(error.message).toMatch(
      /eu\.csv', line 3: column 'high' holds numbers, but this cell is "1,5,5"/,
    );
  });

  it('keeps commas as separators whenever the header has one', () => {
    const error = thrownBask(() =>
      parseCsv('timestamp,high\n2023-01-02,"1,5"\n', {
        ...DATES,
        name: 'us.csv',
        numeric: ['high'],
      }),
    );
    expect(error.message).toMatch(/line 2: column 'high' holds numbers, but this cell is "1,5"/);
  });
});

it('types columns through Frame<C>', () => {
  const df: Frame<'high'> = parseCsv<'high'>('high\n1\n');
  expect(df.high.at(0)).toBe(1);
});
