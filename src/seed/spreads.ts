/**
 * The seed computation, the Dask tutorial's: for each file of minute bars, the day's price
 * spread (highest high minus lowest low) and its first timestamp.
 *
 * `buildSpreads` builds it as a bask graph (one read task per file, then attribute, method and
 * operator tasks, as `dask.delayed` records them); `buildSpreadPairs` as one task per file over
 * its frame (what `runSpreads` computes: two tasks a file, one once fused, where the first
 * graph has eight, three once fused); `spreadsPlain` runs the same steps in a plain loop, the
 * reference for tests and benchmarks.
 */
import { delayed } from '../delayed/delayed.js';
import type { Delayed } from '../delayed/types.js';
import type { CsvSource } from '../frame/read.js';
import type { CsvText } from './generate.js';
import { parsePrices, spreadAndDay, type PriceFrame, type PricesOptions } from './prices.js';
import { tasks } from './tasks.js';

/** Column mapping for every file (see `readPrices`). */
export type SpreadsOptions = Omit<PricesOptions, 'name'>;

/** The lazy results of {@link buildSpreads}, one entry per source, in order. */
export interface SpreadGraph {
  /** Per file: `high.max() - low.min()`. */
  spreads: Delayed<number>[];
  /** Per file: the first timestamp. */
  days: Delayed<Date>[];
}

/**
 * Builds the seed graph over `sources` (paths, URLs, Files, bytes); compute it with
 * `await compute(g.spreads, g.days)`. `names`: each source's name for messages, where the
 * source does not carry one (bytes).
 */
export function buildSpreads(
  sources: readonly CsvSource[],
  options: SpreadsOptions = {},
  names?: readonly (string | undefined)[],
): SpreadGraph {
  const spreads: Delayed<number>[] = [];
  const days: Delayed<Date>[] = [];
  for (const df of readEach(sources, options, names)) {
    spreads.push(df.high.max().sub(df.low.min()));
    days.push(df.index.at(0));
  }
  return { spreads, days };
}

/**
 * The seed graph as one `[spread, day]` task per file over its frame (`spreadAndDay`), for
 * `compute(pairs)`: the same values as {@link buildSpreads}, from two tasks a file (a chain: one
 * task once fused) instead of eight.
 */
export function buildSpreadPairs(
  sources: readonly CsvSource[],
  options: SpreadsOptions = {},
  names?: readonly (string | undefined)[],
): Delayed<[number, Date]>[] {
  const pair = delayed(tasks.spreadAndDay);
  return readEach(sources, options, names).map((df) => pair(df));
}

/** A lazy `readPrices` per source, with the column mapping and each source's name. */
function readEach(
  sources: readonly CsvSource[],
  options: SpreadsOptions,
  names: readonly (string | undefined)[] | undefined,
): Delayed<PriceFrame>[] {
  const read = delayed(tasks.readPrices);
  const mapping: SpreadsOptions = {};
  for (const key of ['timestamp', 'high', 'low'] as const) {
    if (options[key] !== undefined) mapping[key] = options[key];
  }
  // Pass the mapping only when there is one: tasks stay minimal and cheap to ship.
  const hasMapping = Object.keys(mapping).length > 0;
  return sources.map((source, k) => {
    const name = names?.[k];
    return name !== undefined
      ? read(source, { ...mapping, name })
      : hasMapping
        ? read(source, mapping)
        : read(source);
  });
}

/** The same computation without bask, over files in memory: the reference result. */
export function spreadsPlain(
  texts: readonly CsvText[],
  options: SpreadsOptions = {},
): { spreads: number[]; days: Date[] } {
  const spreads: number[] = [];
  const days: Date[] = [];
  for (const { name, text } of texts) {
    const [spread, day] = spreadAndDay(parsePrices(text, { ...options, name }));
    spreads.push(spread);
    days.push(day);
  }
  return { spreads, days };
}
