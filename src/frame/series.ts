/**
 * `Series`: one named numeric column over a `Float64Array`, with the reductions the seed
 * workload needs.
 *
 * Policy (pandas' defaults): reductions skip NaN; `max`/`min`/`mean` of nothing are NaN, `sum`
 * of nothing is 0. Positions accept negative values from the end, like `Array.prototype.at`,
 * but out of range is an error, not `undefined` (pandas raises IndexError).
 *
 * Invariant: `values` is never copied or mutated here; `toData`/`fromData` share it so that a
 * codec can move it without copying.
 */
import { BaskError } from '../errors.js';

/** A Series as plain, structured-clone-friendly data. */
export interface SeriesData {
  readonly name: string;
  readonly values: Float64Array;
}

/** A named column of numbers (missing values are NaN). */
export class Series {
  /** The column name. */
  readonly name: string;
  /** The numbers; missing values are NaN. */
  readonly values: Float64Array;

  constructor(name: string, values: Float64Array) {
    if (!(values instanceof Float64Array)) {
      throw new BaskError(
        'ERR_INVALID_ARGUMENT',
        `Series '${name}': values must be a Float64Array`,
      );
    }
    this.name = name;
    this.values = values;
  }

  /** The number of values, NaN included. */
  get length(): number {
    return this.values.length;
  }

  /** The value at position `i` (negative counts from the end). */
  at(i: number): number {
    return this.values[checkPosition(i, this.values.length, `Series '${this.name}'`)] as number;
  }

  /** The largest value, skipping NaN; NaN when there is none. */
  max(): number {
    const v = this.values;
    let best = -Infinity;
    let seen = false;
    for (let i = 0; i < v.length; i++) {
      const x = v[i] as number;
      if (x >= best) {
        best = x;
        seen = true;
      }
    }
    return seen ? best : NaN;
  }

  /** The smallest value, skipping NaN; NaN when there is none. */
  min(): number {
    const v = this.values;
    let best = Infinity;
    let seen = false;
    for (let i = 0; i < v.length; i++) {
      const x = v[i] as number;
      if (x <= best) {
        best = x;
        seen = true;
      }
    }
    return seen ? best : NaN;
  }

  /** The sum, skipping NaN; 0 when there is nothing to add (as pandas). */
  sum(): number {
    return sumAndCount(this.values)[0];
  }

  /** The mean, skipping NaN; NaN when there is nothing to average. */
  mean(): number {
    const [sum, count] = sumAndCount(this.values);
    return count === 0 ? NaN : sum / count;
  }

  /** This Series as plain data (shares `values`). */
  static toData(this: void, series: Series): SeriesData {
    return { name: series.name, values: series.values };
  }

  /** Rebuilds a Series from {@link Series.toData}'s output. */
  static fromData(this: void, data: SeriesData): Series {
    return new Series(data.name, data.values);
  }
}

function sumAndCount(values: Float64Array): [number, number] {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i] as number;
    // NaN fails the comparison, so it is skipped without a separate isNaN call.
    if (x === x) {
      sum += x;
      count++;
    }
  }
  return [sum, count];
}

/**
 * Resolves a position (negative counts from the end) against `length`, or throws
 * ERR_INVALID_ARGUMENT naming `what`.
 */
export function checkPosition(i: number, length: number, what: string): number {
  if (!Number.isInteger(i)) {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `${what}.at(i): i must be an integer, got ${String(i)}`,
    );
  }
  const j = i < 0 ? length + i : i;
  if (j < 0 || j >= length) {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `${what}.at(${i}): position out of range for length ${length}` +
        (length === 0
          ? ' (it is empty: the CSV had no data rows)'
          : ` (use 0..${length - 1} or -${length}..-1)`),
    );
  }
  return j;
}
