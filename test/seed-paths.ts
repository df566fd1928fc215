/** Seed files on disk for tests in Node: one-day files in a temporary folder, bad ones among them. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { generateStocks, type CsvText } from '../src/seed/index.js';

/** What {@link seedPaths} wrote: the good files' texts, and every path in order. */
export interface SeedPaths {
  readonly written: CsvText[];
  readonly paths: string[];
}

/**
 * `days` one-day files of `minutes` bars each, written to a new temporary folder (removed after
 * the calling file's tests), their paths in order, with a file that has a header and no rows
 * spliced in at `headerOnlyAt`, then a path to no file at `missingAt`.
 */
export function seedPaths(
  days: number,
  minutes: number,
  at: { headerOnlyAt: number; missingAt: number },
): SeedPaths {
  const folder = mkdtempSync(join(tmpdir(), 'bask-seed-paths-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  const written = generateStocks({ days, minutes });
  const paths = written.map((f) => {
    const path = join(folder, f.name);
    writeFileSync(path, f.text);
    return path;
  });
  writeFileSync(join(folder, 'header_only.csv'), 'timestamp,high,low\n');
  paths.splice(at.headerOnlyAt, 0, join(folder, 'header_only.csv'));
  paths.splice(at.missingAt, 0, join(folder, 'missing.csv'));
  return { written, paths };
}
