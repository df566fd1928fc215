/**
 * Row labels of a DataFrame: `DatetimeIndex` (timestamps, from `indexCol`) and `RangeIndex`
 * (0..n-1, the default), as pandas.
 *
 * Policy: timestamps are epoch milliseconds UTC in a `Float64Array`; a missing timestamp is
 * NaN (pandas' NaT), skipped by `min`/`max` and returned by `at` as an Invalid Date. Every
 * `Date` handed out is fresh, so callers may mutate it.
 */
import { checkPosition } from './series.js';

/** A DatetimeIndex as plain data. */
export interface DatetimeIndexData {
  readonly kind: 'datetime';
  readonly name: string | undefined;
  readonly values: Float64Array;
}

/** A RangeIndex as plain data. */
export interface RangeIndexData {
  readonly kind: 'range';
  readonly name: string | undefined;
  readonly length: number;
}

/** Either index, as plain data. */
export type IndexData = DatetimeIndexData | RangeIndexData;

/** Timestamps labelling the rows (epoch ms UTC; NaN for a missing one). */
export class DatetimeIndex {
  /** The name of the column it came from. */
  readonly name: string | undefined;
  /** Epoch milliseconds, UTC. */
  readonly values: Float64Array;

  constructor(values: Float64Array, name?: string) {
    this.values = values;
    this.name = name;
  }

  /** The number of labels. */
  get length(): number {
    return this.values.length;
  }

  /** The timestamp at position `i` (negative counts from the end). */
  at(i: number): Date {
    return new Date(this.values[checkPosition(i, this.values.length, 'DatetimeIndex')] as number);
  }

  /** The earliest timestamp (Invalid Date when there is none). */
  min(): Date {
    let best = Infinity;
    for (const t of this.values) if (t < best) best = t;
    return new Date(best === Infinity ? NaN : best);
  }

  /** The latest timestamp (Invalid Date when there is none). */
  max(): Date {
    let best = -Infinity;
    for (const t of this.values) if (t > best) best = t;
    return new Date(best === -Infinity ? NaN : best);
  }

  /** This index as plain data (shares `values`). */
  static toData(this: void, index: DatetimeIndex): DatetimeIndexData {
    return { kind: 'datetime', name: index.name, values: index.values };
  }

  /** Rebuilds a DatetimeIndex from {@link DatetimeIndex.toData}'s output. */
  static fromData(this: void, data: DatetimeIndexData): DatetimeIndex {
    return new DatetimeIndex(data.values, data.name);
  }
}

/** The default index: row numbers 0..length-1. */
export class RangeIndex {
  /** Always undefined unless set (pandas' unnamed RangeIndex). */
  readonly name: string | undefined;
  /** The number of rows. */
  readonly length: number;

  constructor(length: number, name?: string) {
    this.length = length;
    this.name = name;
  }

  /** The row number at position `i` (negative counts from the end). */
  at(i: number): number {
    return checkPosition(i, this.length, 'RangeIndex');
  }

  /** 0, or NaN when empty. */
  min(): number {
    return this.length === 0 ? NaN : 0;
  }

  /** length - 1, or NaN when empty. */
  max(): number {
    return this.length === 0 ? NaN : this.length - 1;
  }

  /** This index as plain data. */
  static toData(this: void, index: RangeIndex): RangeIndexData {
    return { kind: 'range', name: index.name, length: index.length };
  }

  /** Rebuilds a RangeIndex from {@link RangeIndex.toData}'s output. */
  static fromData(this: void, data: RangeIndexData): RangeIndex {
    return new RangeIndex(data.length, data.name);
  }
}

/** The index of a DataFrame. */
export type FrameIndex = DatetimeIndex | RangeIndex;

/** Either index as plain data. */
export function indexToData(index: FrameIndex): IndexData {
  return index instanceof DatetimeIndex ? DatetimeIndex.toData(index) : RangeIndex.toData(index);
}

/** Rebuilds either index from {@link indexToData}'s output. */
export function indexFromData(data: IndexData): FrameIndex {
  return data.kind === 'datetime' ? DatetimeIndex.fromData(data) : RangeIndex.fromData(data);
}
