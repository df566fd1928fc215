import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatetimeIndex, readCsv } from '../../src/frame/index.js';
import { rejectionBask } from '../helpers.js';

const TEXT = 'timestamp,high,low\n2023-01-02 09:30:00,2.5,1.5\n2023-01-02 09:31:00,3,1\n';
const DATES = { parseDates: ['timestamp'], indexCol: 'timestamp' };

let dir: string;
let file: string;
let server: Server;
let origin: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bask-frame-'));
  file = join(dir, 'day.csv');
  await writeFile(file, TEXT);
  server = createServer((request, response) => {
    if (request.url === '/day.csv') response.end(TEXT);
    else response.writeHead(404, 'Not Found').end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

function expectDay(df: { high: { max(): number }; index: unknown }): void {
  expect(df.high.max()).toBe(3);
  expect(df.index).toBeInstanceOf(DatetimeIndex);
  expect((df.index as DatetimeIndex).at(0).toISOString()).toBe('2023-01-02T09:30:00.000Z');
}

describe('readCsv sources', () => {
  it('reads a path with fs in Node', async () => {
    expectDay(await readCsv(file, DATES));
  });

  it('reads file: URLs, as strings and as URL objects', async () => {
    expectDay(await readCsv(pathToFileURL(file).href, DATES));
    expectDay(await readCsv(pathToFileURL(file), DATES));
  });

  it('fetches http URLs', async () => {
    expectDay(await readCsv(`${origin}/day.csv`, DATES));
    expectDay(await readCsv(new URL('/day.csv', origin), DATES));
  });

  it('fetches data: URLs', async () => {
    expectDay(await readCsv(`data:text/csv,${encodeURIComponent(TEXT)}`, DATES));
  });

  it('reads Files and Blobs, and bytes', async () => {
    expectDay(await readCsv(new File([TEXT], 'day.csv'), DATES));
    expectDay(await readCsv(new Blob(['\uFEFF' + TEXT]), DATES));
    expectDay(await readCsv(new TextEncoder().encode(TEXT), DATES));
    expectDay(await readCsv(new TextEncoder().encode(TEXT).buffer, DATES));
  });

  it('names the path, URL or File in errors, unless name is given', async () => {
    const bad = join(dir, 'bad.csv');
    await writeFile(bad, 'a,b\n1,2,3\n');
    expect((await rejectionBask(readCsv(bad))).message).toContain(`'${bad}', line 2`);
    expect((await rejectionBask(readCsv(bad, { name: 'nice.csv' }))).message).toContain(
      "'nice.csv', line 2",
    );
    expect(
      (await rejectionBask(readCsv(new File(['a,b\nx,1,2\n'], 'upload.csv')))).message,
    ).toContain("'upload.csv', line 2");
    expect((await rejectionBask(readCsv(new Blob([])))).message).toMatch(/^The input is empty/);
  });
});

describe('readCsv failures', () => {
  it('rejects a missing file with ERR_CSV naming it', async () => {
    const missing = join(dir, 'nope.csv');
    const error = await rejectionBask(readCsv(missing));
    expect(error.code).toBe('ERR_CSV');
    expect(error.message).toContain(`'${missing}' cannot be read: no such file`);
    expect((error.cause as { code?: string }).code).toBe('ENOENT');
  });

  it('rejects a folder, pointing at listCsvFiles', async () => {
    const error = await rejectionBask(readCsv(dir));
    expect(error.code).toBe('ERR_CSV');
    expect(error.message).toContain('it is a folder');
  });

  it('rejects an HTTP error status', async () => {
    const error = await rejectionBask(readCsv(`${origin}/missing.csv`));
    expect(error.code).toBe('ERR_CSV');
    expect(error.message).toContain('HTTP 404');
  });

  it('rejects sources of the wrong type', async () => {
    for (const source of [42, null, { path: 'x.csv' }]) {
      expect((await rejectionBask(readCsv(source as never))).code).toBe('ERR_INVALID_ARGUMENT');
    }
  });
});
