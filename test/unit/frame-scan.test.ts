/**
 * The byte scanner (src/frame/scan.ts) against the general path (Papa Parse, rows of strings):
 * for every input, the same frame or the same error, whichever path `parseCsv` takes. Inputs:
 * the e2e fixtures, generated minute bars, the hostile cases of frame-csv.test.ts, and a few
 * couple of thousand random files built from the tokens that trip CSV parsers.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isBaskError } from '../../src/errors.js';
import { parseCsv, parseCsvRows, type ReadCsvOptions } from '../../src/frame/csv.js';
import { DataFrame } from '../../src/frame/dataframe.js';
import { scanCsv } from '../../src/frame/scan.js';
import type { CsvInput } from '../../src/frame/text.js';
import { generateStocks } from '../../src/seed/generate.js';
import { parsePrices } from '../../src/seed/prices.js';

const FIXTURES = fileURLToPath(new URL('../e2e/fixtures/', import.meta.url));
const DATES = { parseDates: ['timestamp'], indexCol: 'timestamp' };

/** A frame or an error as plain data; -0 and NaN spelled out so that equality sees them. */
function outcome(parse: () => DataFrame): unknown {
  try {
    const data = DataFrame.toData(parse());
    const plain = (v: Float64Array): string[] =>
      [...v].map((x) => (Object.is(x, -0) ? '-0' : String(x)));
    return {
      columns: data.columns.map((c) => ({ name: c.name, values: plain(c.values) })),
      index:
        'values' in data.index ? { ...data.index, values: plain(data.index.values) } : data.index,
      omitted: data.omitted,
    };
  } catch (error) {
    if (!isBaskError(error)) throw error;
    return { code: error.code, message: error.message };
  }
}

/** Parses `input` both ways and expects one outcome; true when the scanner took it. */
function expectSame(input: CsvInput, options: ReadCsvOptions = {}): boolean {
  const general = outcome(() => parseCsvRows(input, options));
  expect(
    outcome(() => parseCsv(input, options)),
    JSON.stringify(input),
  ).toEqual(general);
  return scanCsv(input, options) !== undefined;
}

function fixtureFiles(): string[] {
  return readdirSync(FIXTURES, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.csv'))
    .map((f) => join(FIXTURES, f));
}

describe('scanCsv agrees with the general path', () => {
  it('on every e2e fixture, as bytes and as text, with and without dates', () => {
    const files = fixtureFiles();
    expect(files.length).toBeGreaterThanOrEqual(9);
    let scanned = 0;
    for (const file of files) {
      const bytes = readFileSync(file);
      for (const input of [bytes, bytes.toString('utf8')]) {
        for (const options of [{}, { name: file }, { parseDates: ['timestamp'] }, DATES]) {
          const headerHasTimestamp = /timestamp/i.test(bytes.toString('utf8').split('\n')[0] ?? '');
          if ('parseDates' in options && !headerHasTimestamp) continue;
          if (expectSame(input, options)) scanned++;
        }
      }
    }
    expect(scanned).toBeGreaterThan(0);
  });

  it('on generated minute bars, LF and CRLF, and takes the fast path for them', () => {
    for (const { name, text } of generateStocks({ days: 5 })) {
      for (const variant of [text, text.replace(/\n/g, '\r\n'), '\uFEFF' + text]) {
        const bytes = new TextEncoder().encode(variant);
        expect(expectSame(bytes, { ...DATES, name })).toBe(true);
        expect(expectSame(variant, { ...DATES, name })).toBe(true);
      }
    }
  });

  it('on hostile inputs: blanks, widths, missing values, separators, odd numbers and dates', () => {
    const cases = [
      'a,b\n1,2\n3,4,5\n',
      'a,b\n1,2\n\n3\n',
      'a,b\r\n1,2\r\n"x",2,3\r\n',
      'a,b\r1,2\r3,4\r',
      'a,b\n1,2\r\n3,4\n',
      'a,b\r\n1,2\n3,4\r\n',
      'a,b\r\n1,2\r3,4\r\n',
      '\n\n  \na,b\n1,2',
      '\t\na\tb\n1\t2\n',
      'a\n1\n\n \n2\n',
      'a\n \n',
      't,x,y\n2023-01-01,,1\n,NaN,N/A\n2023-01-03, 3 ,null\n',
      'a,b,c\n,x,\n2,y,\n',
      ' a ,,a,a\n1,2,3,4\n',
      'a;b\n10,5;1\n,5;-,5\n',
      'a;b\n10,;1\n',
      'a;b\n1.5;1,5\n',
      'a|b\n1|2\n',
      'a\tb\n1\t2\n',
      'a,b\n-0,+0\n0.0,-0.0\n',
      'a,b\n1e3,0x1A\n.5,5.\n',
      'a,b\n1234567890123456,12345678901234567890\n0.1234567890123456789,9007199254740993\n',
      'a,b\nInfinity,-Infinity\n',
      'a,b\n-,+\n',
      'a,b\n.,..\n',
      'a,b\n1,2,\n',
      'a,b\n\u00e9,2\n',
      'a,b\n1,\u00002\n',
      'a,b\n1,2\n"3,4\n',
      'a,b\n1,2\u000b\n',
      '\uFEFFa,b\n1,2\n',
      'a,b\n1,2',
      'a,b',
      'a,b\n',
      'a,b\r\n\r\n',
      // Cells read as they are scanned: each must end exactly where the scan says it does.
      'a,b\n1\r,2\n',
      'a,b\n1,2\r',
      'a,b\r\n1,2\r3\r\n',
      'a,b\n12345678901234.5,-\n',
      'a;b\n10,5;1,\n',
      'a;b\n10,5,5;1\n',
      '',
      '   \n',
    ];
    for (const text of cases) {
      expectSame(text);
      expectSame(new TextEncoder().encode(text));
      // A missing column and a problem further down: the error comes in the general order.
      expectSame(text, { indexCol: 'nope' });
    }
    const dated = [
      '2023-01-02 09:30:00',
      '2023-01-02T09:30',
      '2023-01-02',
      '2023-02-30 09:30:00',
      '2023-01-02 24:00:00',
      '2023-01-02 09:60',
      '2023-01-02 09:30:00.250',
      '2023-01-02 09:30:00Z',
      '2023-01-02 09:30:00+01:00',
      '20230102',
      '1672651800',
      '1672651800000',
      '01/02/2023 09:30',
      'Jan 2, 2023',
      ' 2023-01-02 09:30:00 ',
      '0099-01-02 09:30:00',
      '2024-02-29 23:59:59',
      'NaT',
      '',
      'soon',
    ];
    // A date as the last cell, with and without a line end after it; a short date before a
    // cell that a longer form's length would reach into.
    for (const tail of ['', '\n', '\r\n', '\r'])
      expectSame(`high,timestamp\n1,2023-01-02 09:30:00${tail}`, DATES);
    expectSame('timestamp,high\n2023-01-02,2023-01-02 09:30:00\n', DATES);
    expectSame('timestamp,high\n2023-01-02,1,2023-01-02 09:30:00\n', DATES);
    expectSame('timestamp,high\n2023-01-02 09:30,2023-01-02 09:30:00\n', DATES);
    for (const cell of dated) {
      expectSame(`timestamp,high\n${cell},1\n2023-01-02 09:31:00,2\n`, DATES);
      expectSame(`timestamp,high\n2023-01-02 09:31:00,2\n${cell},1\n`, {
        parseDates: ['timestamp'],
      });
    }
  });

  it('on random files made of the cells and bytes that trip parsers', () => {
    const cells = [
      '1',
      '2.5',
      '-3',
      '+4',
      '0',
      '-0',
      '10,5',
      '',
      ' ',
      'NA',
      'nan',
      'x',
      '1e3',
      '.',
      '-',
      '2023-01-02',
      '2023-01-02 09:30:00',
      '2023-02-30',
      '09:30',
      '123456789012345678',
      '0.1000000000000001',
      '99999999999999.9',
    ];
    const hostile = ['"', '""', '\r', '\n', '\uFEFF', '\u00e9', '\u0001', ',', ';', '\t', '|'];
    let seed = 20240101;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return Math.floor((seed / 2147483648) * n);
    };
    let scanned = 0;
    for (let k = 0; k < 2000; k++) {
      const [header, sep] = [
        ['timestamp,a,b', ','],
        ['a;b;c', ';'],
        ['a\tb', '\t'],
        ['x|y|z', '|'],
        ['a,b', ','],
        ['a', ','],
      ][random(6)] as [string, string];
      const eol = random(2) === 0 ? '\n' : '\r\n';
      const width = header.split(sep).length;
      let text = header + eol;
      for (let r = random(8); r > 0; r--) {
        const n = random(20) === 0 ? width + random(3) - 1 : width;
        const row: string[] = [];
        for (let c = 0; c < n; c++) {
          let cell = cells[random(cells.length)] as string;
          if (random(40) === 0) cell += hostile[random(hostile.length)] as string;
          row.push(cell);
        }
        text += row.join(sep) + (random(10) === 0 ? '' : random(15) === 0 ? eol + eol : eol);
      }
      const options = header.startsWith('timestamp') && random(2) === 0 ? DATES : {};
      if (expectSame(random(2) === 0 ? text : new TextEncoder().encode(text), options)) scanned++;
    }
    // The generator must reach the scanner often, or this test proves little.
    expect(scanned).toBeGreaterThan(200);
  }, 60_000);
});

describe('parsePrices on the scanner', () => {
  it('gives what the general path gives for the fixtures, errors included', () => {
    for (const file of fixtureFiles()) {
      const bytes = readFileSync(file);
      const fromBytes = outcome(() => parsePrices(bytes, { name: file }));
      // Decoded text with a non-ASCII name column forces nothing: compare bytes with text.
      expect(outcome(() => parsePrices(bytes.toString('utf8'), { name: file }))).toEqual(fromBytes);
    }
  });

  it('reuses no buffer across frames: each frame keeps its own values', () => {
    const [a, b] = generateStocks({ days: 2 });
    const first = parsePrices(a?.text ?? '', { name: 'a' });
    const before = [...first.high.values];
    parsePrices(b?.text ?? '', { name: 'b' });
    expect([...first.high.values]).toEqual(before);
  });
});
