/**
 * `loadCsvNow`: paths read synchronously into one reused buffer per thread (src/frame/read.ts).
 * Frames read one after another keep their own values, a file larger than the buffer grows
 * it, and read errors say the same as the first, asynchronous read's.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCsvNow, readCsv } from '../../src/frame/read.js';
import { generateStocks } from '../../src/seed/generate.js';
import { readPrices } from '../../src/seed/prices.js';
import { rejectionBask } from '../helpers.js';

let dir: string;
const days = generateStocks({ days: 3 });
const big = ['timestamp,high,low'];
for (let i = 0; i < 6000; i++) big.push(`2023-01-02 09:30:00,${i + 1},${i}`);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bask-read-now-'));
  for (const day of days) await writeFile(join(dir, day.name), day.text);
  await writeFile(join(dir, 'big.csv'), big.join('\n'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('reading paths into the reused buffer', () => {
  it('gives each frame its own values, file after file, and grows for a large file', async () => {
    const frames = [];
    for (const day of days) frames.push(await readPrices(join(dir, day.name)));
    // By now fs is loaded: this read goes through the reused buffer.
    expect(loadCsvNow(join(dir, days[0]?.name ?? ''))).toBeDefined();
    const large = await readCsv(join(dir, 'big.csv'), { indexCol: 'timestamp' });
    expect(large.length).toBe(6000);
    expect(large.col('high').max()).toBe(6000);
    for (const [i, day] of days.entries()) {
      const again = await readPrices(join(dir, day.name));
      expect([...(frames[i]?.high.values ?? [])]).toEqual([...again.high.values]);
      expect(frames[i]?.index.at(0)).toEqual(again.index.at(0));
    }
  });

  it('names the file in read errors, as the first read does', async () => {
    await readPrices(join(dir, days[0]?.name ?? ''));
    const missing = await rejectionBask(readPrices(join(dir, 'nope.csv')));
    expect(missing.code).toBe('ERR_CSV');
    expect(missing.message).toContain('nope.csv');
    expect(missing.message).toContain('no such file');
    const folder = await rejectionBask(readCsv(dir, { name: 'the-folder' }));
    expect(folder.message).toMatch(/^'the-folder' cannot be read: it is a folder/);
  });

  it('leaves URLs and bytes to loadCsvSource', () => {
    expect(loadCsvNow('file:///tmp/x.csv')).toBeUndefined();
    expect(loadCsvNow(new Uint8Array([97]))).toBeUndefined();
  });
});
