/**
 * `DataFrame`: named numeric columns (`Series`) sharing one index; the smallest pandas-like
 * frame that `df.high.max()` and `df.index.at(0)` need.
 *
 * Policy: every column is readable as a property (`df.high`) and through `col(name)`; a header
 * `High` is also readable as `df.high` unless another column is named so. Names that would
 * shadow a member (`index`, `columns`, `col`, ...) are reachable through `col()` only. Lookups
 * try the exact name first, then ignore case.
 *
 * Invariants: all columns and the index have the same length; column properties are set once
 * in the constructor and never change; `omitted` lists the CSV columns that held text, which
 * frames do not keep, so that a lookup of one can say why it is missing.
 */
import { BaskError } from '../errors.js';
import {
  indexFromData,
  indexToData,
  RangeIndex,
  type FrameIndex,
  type IndexData,
} from './indexes.js';
import { Series, type SeriesData } from './series.js';

/** A DataFrame as plain, structured-clone-friendly data. */
export interface DataFrameData {
  readonly columns: readonly SeriesData[];
  readonly index: IndexData;
  readonly omitted: readonly string[];
}

/** Options of the DataFrame constructor. */
export interface DataFrameOptions<I extends FrameIndex = FrameIndex> {
  /** The row labels (default: a RangeIndex over the rows). */
  index?: I;
  /** Names of source columns left out (text columns of a CSV), for error messages. */
  omitted?: readonly string[];
}

/** Named numeric columns sharing one index. */
export class DataFrame<I extends FrameIndex = FrameIndex> {
  /** The column names, in order. */
  readonly columns: readonly string[];
  /** The row labels. */
  readonly index: I;
  /** Source columns left out because they held text. */
  readonly omitted: readonly string[];
  readonly #byName: ReadonlyMap<string, Series>;
  readonly #byLowerName: ReadonlyMap<string, Series>;

  constructor(columns: readonly Series[], options: DataFrameOptions<I> = {}) {
    const length = options.index?.length ?? columns[0]?.length ?? 0;
    const byName = new Map<string, Series>();
    const byLowerName = new Map<string, Series>();
    for (const series of columns) {
      if (!(series instanceof Series)) {
        throw new BaskError(
          'ERR_INVALID_ARGUMENT',
          'DataFrame(columns): every column must be a Series',
        );
      }
      if (series.length !== length) {
        throw new BaskError(
          'ERR_INVALID_ARGUMENT',
          `DataFrame: column '${series.name}' has ${series.length} values, expected ${length} like the others`,
        );
      }
      if (byName.has(series.name)) {
        throw new BaskError(
          'ERR_INVALID_ARGUMENT',
          `DataFrame: column name '${series.name}' appears twice`,
        );
      }
      byName.set(series.name, series);
      const lower = series.name.toLowerCase();
      if (!byLowerName.has(lower)) byLowerName.set(lower, series);
    }
    this.columns = Object.freeze(columns.map((s) => s.name));
    this.index = options.index ?? (new RangeIndex(length) as FrameIndex as I);
    this.omitted = Object.freeze([...(options.omitted ?? [])]);
    this.#byName = byName;
    this.#byLowerName = byLowerName;
    this.#defineColumnProperties();
  }

  /** The number of rows. */
  get length(): number {
    return this.index.length;
  }

  /**
   * The column `name` (exact match first, then ignoring case); throws ERR_INVALID_ARGUMENT
   * naming the columns there are.
   */
  col(name: string): Series {
    const found = this.#byName.get(name) ?? this.#byLowerName.get(name.toLowerCase());
    if (found !== undefined) return found;
    const lower = name.toLowerCase();
    const text = this.omitted.find((c) => c === name || c.toLowerCase() === lower);
    const why =
      text === undefined
        ? ''
        : ` ('${text}' held text, and frames keep only numbers and parseDates columns)`;
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `DataFrame has no column '${name}'${why}; its columns are: ${this.columns.join(', ') || '(none)'}`,
    );
  }

  #defineColumnProperties(): void {
    const define = (key: string, series: Series): void => {
      // `in` also sees members on the prototype chain, so columns never shadow methods.
      if (key in this) return;
      Object.defineProperty(this, key, { value: series, enumerable: true });
    };
    for (const [name, series] of this.#byName) define(name, series);
    for (const [lower, series] of this.#byLowerName) define(lower, series);
  }

  /** This frame as plain data (shares the columns' arrays). */
  static toData(this: void, frame: DataFrame): DataFrameData {
    return {
      columns: frame.columns.map((name) => Series.toData(frame.col(name))),
      index: indexToData(frame.index),
      omitted: frame.omitted,
    };
  }

  /** Rebuilds a DataFrame from {@link DataFrame.toData}'s output. */
  static fromData(this: void, data: DataFrameData): DataFrame {
    return new DataFrame(
      data.columns.map((c) => Series.fromData(c)),
      { index: indexFromData(data.index), omitted: data.omitted },
    );
  }
}

/**
 * A DataFrame whose columns `C` are typed as properties: `Frame<'high' | 'low'>` has
 * `df.high: Series`. `I` is the index type (DatetimeIndex when read with `indexCol`).
 * The default `never` types no columns (`string` would give every member a Series type).
 */
export type Frame<C extends string = never, I extends FrameIndex = FrameIndex> = DataFrame<I> & {
  readonly [K in C]: Series;
};
