/**
 * Column names: cleaning a CSV header the way pandas does, and resolving the names that
 * `ReadCsvOptions` use (rename map, `parseDates`, `indexCol`) to header positions.
 *
 * Policy: header names are trimmed; an empty one becomes `Unnamed: <position>` and a repeated
 * one gets `.1`, `.2`, ... (pandas' mangling). A name in the options matches exactly first,
 * then ignoring case; it may be the name after renaming or the name in the file. A name that
 * matches nothing is an ERR_CSV naming the columns there are and how to map one. A renamed
 * column takes its new name from any other column that had it exactly; that column is left
 * out, since the user said which one they mean. `assembleFrame` puts the parsed columns together
 * by that plan: the index column becomes the index, text columns are listed as omitted.
 */
import type { BaskError } from '../errors.js';
import { DataFrame } from './dataframe.js';
import { DatetimeIndex, RangeIndex, type FrameIndex } from './indexes.js';
import { Series } from './series.js';
import { csvError } from './text.js';

/** Which columns become what, by header position. */
export interface ColumnPlan {
  /** Final column names, by position (after renames); undefined for a displaced column. */
  readonly names: readonly (string | undefined)[];
  /** Positions parsed as timestamps (`parseDates`, plus `indexCol`). */
  readonly dates: ReadonlySet<number>;
  /** Position of the index column, or -1 for a RangeIndex. */
  readonly index: number;
  /** Positions that must hold numbers (`numeric`): a text cell there is an error, not text. */
  readonly numeric: ReadonlySet<number>;
}

/** What `planColumns` reads from the options. */
export interface ColumnOptions {
  parseDates?: readonly string[] | undefined;
  indexCol?: string | undefined;
  numeric?: readonly string[] | undefined;
  columns?: Readonly<Record<string, string>> | undefined;
}

/** Header cells -> column names: trimmed, blanks named, duplicates numbered (as pandas). */
export function cleanHeader(cells: readonly string[]): string[] {
  const seen = new Set<string>();
  // A loop, not `map`: the arrays `map` made did not always share one hidden class, and the
  // parser's optimized code was thrown away at each new one (in a fresh process `scanBody` was
  // compiled seven times over the first files; twice with these loops).
  const names: string[] = [];
  for (let j = 0; j < cells.length; j++) {
    const cell = (cells[j] as string).trim();
    const base = cell === '' ? `Unnamed: ${j}` : cell;
    let name = base;
    for (let k = 1; seen.has(name); k++) name = `${base}.${k}`;
    seen.add(name);
    names.push(name);
  }
  return names;
}

/** The position of `wanted` in `names`: exact match first, then ignoring case; -1 if none. */
export function findColumn(names: readonly (string | undefined)[], wanted: string): number {
  const exact = names.indexOf(wanted);
  if (exact !== -1) return exact;
  const lower = wanted.toLowerCase();
  return names.findIndex((n) => n?.toLowerCase() === lower);
}

/** Resolves the options against a cleaned header; throws ERR_CSV for a name not found. */
export function planColumns(
  header: readonly string[],
  options: ColumnOptions,
  file: string | undefined,
): ColumnPlan {
  const names = renameColumns(header, options.columns ?? {}, file);
  const resolve = (wanted: string, option: string): number => {
    let j = names.indexOf(wanted);
    if (j === -1) j = header.indexOf(wanted);
    if (j === -1) j = findColumn(names, wanted);
    if (j === -1) j = findColumn(header, wanted);
    if (j === -1) {
      const example = header.find((n) => !n.startsWith('Unnamed: ')) ?? 'Date';
      const hint = `Use one of these names, or map one: columns: { ${JSON.stringify(wanted)}: ${JSON.stringify(example)} }.`;
      throw missingColumn(file, header, wanted, `${option} names it`, hint);
    }
    return j;
  };
  const dates = new Set<number>();
  for (const wanted of options.parseDates ?? []) dates.add(resolve(wanted, 'parseDates'));
  let index = -1;
  if (options.indexCol !== undefined) {
    index = resolve(options.indexCol, 'indexCol');
    // Frames are indexed by timestamps or by row number, so an index column is always dates.
    dates.add(index);
  }
  const numeric = new Set<number>();
  for (const wanted of options.numeric ?? []) numeric.add(resolve(wanted, 'numeric'));
  return { names, dates, index, numeric };
}

function renameColumns(
  header: readonly string[],
  renames: Readonly<Record<string, string>>,
  file: string | undefined,
): (string | undefined)[] {
  const renamed = new Map<number, string>();
  for (const [wanted, inFile] of Object.entries(renames)) {
    const j = findColumn(header, inFile);
    if (j === -1) {
      throw missingColumn(
        file,
        header,
        inFile,
        `the columns option maps '${wanted}' to it`,
        'Map one of these instead.',
      );
    }
    renamed.set(j, wanted);
  }
  const taken = new Set(renamed.values());
  // A loop, not `map`: see cleanHeader.
  const names: (string | undefined)[] = [];
  for (let j = 0; j < header.length; j++) {
    const name = header[j] as string;
    names.push(renamed.get(j) ?? (taken.has(name) ? undefined : name));
  }
  return names;
}

function missingColumn(
  file: string | undefined,
  header: readonly string[],
  wanted: string,
  why: string,
  hint: string,
): BaskError {
  return csvError(
    file,
    undefined,
    `has no column '${wanted}' (${why}); its columns are: ${header.join(', ')}. ${hint}`,
  );
}

/** What a parsed column turned out to hold; 'displaced' is a column a rename took the name of. */
export type ColumnKind = 'number' | 'date' | 'text' | 'displaced';

/**
 * The frame of parsed columns: `values[j]` holds column j's `length` values (undefined for
 * text and displaced columns, which frames do not keep).
 */
export function assembleFrame(
  plan: ColumnPlan,
  kinds: readonly ColumnKind[],
  values: readonly (Float64Array | undefined)[],
  length: number,
): DataFrame {
  const columns: Series[] = [];
  const omitted: string[] = [];
  let index: FrameIndex = new RangeIndex(length);
  kinds.forEach((kind, j) => {
    const name = plan.names[j];
    const data = values[j];
    if (name === undefined) return;
    if (kind === 'text' || data === undefined) omitted.push(name);
    else if (j === plan.index) index = new DatetimeIndex(data, name);
    else columns.push(new Series(name, data));
  });
  return new DataFrame(columns, { index, omitted });
}
