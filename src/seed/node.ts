/**
 * Node-only helpers of the seed workload: writing the generated files to disk and listing
 * CSV files. Kept apart so that `bask/seed` stays loadable in browsers and Web Workers.
 */
import type { Stats } from 'node:fs';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BaskError } from '../errors.js';
import { generateStocks, type GenerateStocksOptions } from './generate.js';

/** Options of {@link writeStocks}: the generator's, plus the folder name. */
export interface WriteStocksOptions extends GenerateStocksOptions {
  /** The subfolder of `dir` to write to (default 'GOOG', as the Dask tutorial). */
  symbol?: string;
}

/**
 * Generates the seed data set into `<dir>/<symbol>/YYYY-MM-DD.csv` (folders created as
 * needed, existing files overwritten) and returns the paths, in date order.
 */
export async function writeStocks(
  dir: string,
  options: WriteStocksOptions = {},
): Promise<string[]> {
  const { symbol = 'GOOG', ...generate } = options;
  if (
    typeof symbol !== 'string' ||
    symbol === '' ||
    /[/\\]/.test(symbol) ||
    symbol === '.' ||
    symbol === '..'
  ) {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `writeStocks: symbol must be a plain folder name such as 'GOOG', got ${JSON.stringify(symbol)}`,
    );
  }
  const folder = join(dir, symbol);
  const files = generateStocks(generate);
  await mkdir(folder, { recursive: true });
  const paths = files.map((f) => join(folder, f.name));
  await Promise.all(files.map((f, i) => writeFile(paths[i] as string, f.text)));
  return paths;
}

/**
 * The CSV files at `pathOrDir`: a folder gives its `*.csv` files (not recursive), sorted by
 * name (none: `[]`); a file gives itself. Throws ERR_INVALID_ARGUMENT when the path does
 * not exist.
 */
export async function listCsvFiles(pathOrDir: string): Promise<string[]> {
  let info: Stats;
  try {
    info = await stat(pathOrDir);
  } catch (error) {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `listCsvFiles: cannot read '${pathOrDir}': ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
  if (!info.isDirectory()) return [pathOrDir];
  const names = await readdir(pathOrDir);
  return names
    .filter((n) => n.toLowerCase().endsWith('.csv'))
    .sort()
    .map((n) => join(pathOrDir, n));
}
