/**
 * `runSpreads`: the seed workload as applications run it (the demo page, `bask spreads`), with
 * two differences from a plain `compute(g.spreads, g.days)`: a bad file does not fail the others,
 * and each file's `[spread, day]` comes from one task over its frame (`buildSpreadPairs`: a
 * read and a `spreadAndDay` task, fused into one on a pool or a cluster), as a Dask user would
 * map one function over each file's frame, instead of the eight attribute, method and operator
 * tasks `buildSpreads` records (three once fused). Same values; a fraction of the scheduling.
 *
 * Policy: Dask's `compute` fails the whole call on the first error, so each file's
 * `[spread, day]` is isolated. Files go in small batches (`batchSize`, one computation each;
 * a batch that fails is computed again file by file, so a bad file fails alone). On a pool or
 * a cluster a window of files (`concurrency`) is in flight at once, sharing the workers; each
 * batch that settles lets the next in, in input order (seed/window.ts). The window keeps the
 * cost linear in the file count (a scheduler's per-computation bookkeeping, files read and
 * encoded for a cluster, memory held) while workers start at once. On the sync scheduler,
 * which exists for debugging, batches run one after another, yielding to the event loop about
 * every 50 ms so that a page stays responsive between them. Results come back in input order;
 * `onResult` sees each one as it settles (in completion order).
 *
 * Without a cache, Files are read on the page ahead of their batches, a few composed Blobs at a
 * time (wire/blob-bytes.ts: one round trip to the browser per group, not per file). Unless a
 * `batchSize` is given, each such group is a batch of its own, computed as one task over the
 * group's bytes (group.ts) that gives each file's `[spread, day]` or error: the bytes move to
 * a worker (or a cluster) as they were read, and the page builds, sends and settles one task
 * per group (64 kB of files first, twice as much each next one, 4 MiB at most) instead of one
 * per file (at 2,000 files in Chromium, about a third less time on the pool and the cluster:
 * bench/RESULTS.md, fifth round). Paths and URLs go in groups too (4 files, then twice as
 * many each next group, 32 at most), each one task that reads its files where it runs (in
 * Node, 2,000 paths: sync 276-348 -> 205-292 ms, threads 250-259 -> 125-131 ms; sixth round).
 * A cluster client takes each group as a composed Blob instead, not read here: it uploads the
 * Blob (client/uploads.ts), which the browser streams from disk, and the task gets its bytes
 * (`BytesOf`; bench/RESULTS.md, eighth round), four groups in flight. Bytes, a cache, and
 * batches of a given size go as before: a task per file. A group whose read or task fails is
 * computed again file by file, each read on its own, so that a bad file fails alone.
 *
 * On a cluster a batch's values come back as one: a list task gathers them on the workers, so
 * the scheduler sends the page one message per batch instead of one per value (two per
 * file), which is most of what a page receives during a run.
 *
 * Diagnostics see the whole call as one computation (run-group.ts): one `start` whose task
 * count covers every file (and every batch's list task; every group's task where files go in
 * groups), every task, one `finish`, so a ProgressBar fills once and a Profiler keeps every
 * task. Every failure is a BaskError (ERR_CSV for a bad file).
 */
import type { CacheOption } from '../cache/brand.js';
import { getDelayedBackend } from '../delayed/backend.js';
import { delayed } from '../delayed/delayed.js';
import type { Delayed } from '../delayed/types.js';
import { resolveScheduler, type SchedulerSpec } from '../config.js';
import { BaskError, deserializeError, isBaskError } from '../errors.js';
import type { CsvSource } from '../frame/read.js';
import { now, type Callbacks } from '../hooks.js';
import type { Scheduler } from '../scheduler.js';
import { BytesOf, FileReadAhead, planGroups } from '../wire/blob-bytes.js';
import {
  BLOB_GROUPS,
  FIRST_BATCH,
  PATH_GROUP,
  batchIndices,
  batchStarts,
  defaultBatchSize,
  defaultConcurrency,
  groupStarts,
} from './batches.js';
import type { GroupOutcome } from './group.js';
import { buildSpreadPairs, type SpreadsOptions } from './spreads.js';
import { RunGroup } from './run-group.js';
import { tasks } from './tasks.js';
import { runWindowed, yieldToEventLoop } from './window.js';

/** One file's result: its first timestamp and its spread (highest high minus lowest low). */
export interface SpreadSuccess {
  readonly file: string;
  readonly day: Date;
  readonly spread: number;
}

/** One file that could not be computed, and why. */
export interface SpreadFailure {
  readonly file: string;
  readonly error: BaskError;
}

/** What {@link runSpreads} gives per file. */
export type SpreadResult = SpreadSuccess | SpreadFailure;

/** Options of {@link runSpreads}. */
export interface RunSpreadsOptions {
  /** 'sync', 'threads', a Client... (default: as `compute`: config, default client, pool). */
  scheduler?: SchedulerSpec;
  /** Which columns hold timestamp, high and low (default: found by name). */
  mapping?: SpreadsOptions;
  /** The name of each source in the results (default: the path, URL or File name). */
  names?: readonly string[];
  /** Called as each file settles, with its position in `sources`. */
  onResult?: (result: SpreadResult, index: number) => void;
  /** Diagnostics (ProgressBar, Profiler): they see the whole run as one computation. */
  callbacks?: readonly Callbacks[];
  /** Worker count of the pool (see `compute`). */
  numWorkers?: number;
  /** Reuse results kept in IndexedDB (see `compute`'s `cache`): the same files compute once. */
  cache?: CacheOption;
  /** Stops the run: files not computed yet fail with ERR_ABORTED. */
  signal?: AbortSignal;
  /**
   * Files in flight at once on a pool (default 32) or a cluster (default 512): enough to keep every worker
   * busy, few enough that the scheduler's per-computation bookkeeping and the memory held
   * stay bounded whatever the file count.
   */
  concurrency?: number;
  /**
   * Files per computation on a pool (default 4), the sync scheduler (default 16) or a cluster
   * (default 32); the default ones start with batches of 4, 8 and 16 so that the first results
   * come early. Fewer, larger computations cost less bookkeeping and fewer messages; a batch
   * that fails is computed again file by file, so failures stay per file. Without it, Files
   * read ahead go a group at a time instead, one task per group (see the header). With a
   * `cache`, 1 by default: most files come from the cache, and a bad file's tasks then run
   * once, not twice.
   */
  batchSize?: number;
}

const YIELD_EVERY_MS = 50;

/** True when `result` is a failure. */
export function isSpreadFailure(result: SpreadResult): result is SpreadFailure {
  return 'error' in result;
}

/**
 * Computes each source's spread and day, isolating failures per file. Resolves (never
 * rejects for a bad file) to one result per source, in input order.
 *
 * ```ts
 * const results = await runSpreads(files, { scheduler: 'threads' });
 * for (const r of results) console.log(r.file, isSpreadFailure(r) ? r.error.message : r.spread);
 * ```
 */
export async function runSpreads(
  sources: readonly CsvSource[],
  options: RunSpreadsOptions = {},
): Promise<SpreadResult[]> {
  const { mapping = {}, names, onResult, numWorkers, signal, cache } = options;
  if (names !== undefined && names.length !== sources.length) {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `runSpreads: names has ${names.length} entries for ${sources.length} sources`,
    );
  }
  const scheduler = resolveScheduler(options.scheduler);
  // Options the graph checks fail the call at once, as they did when it was built up front.
  buildSpreadPairs(sources.slice(0, 1), mapping);
  const sequential = isSequential(scheduler);
  const size = Math.max(
    1,
    Math.floor(options.batchSize ?? (cache === undefined ? defaultBatchSize(scheduler) : 1)),
  );

  // Files are read here, in groups, ahead of their batches (wire/blob-bytes.ts), for every
  // scheduler but one that takes Blobs as they are (a cluster client uploads them). Views into
  // the groups where the bytes stay on this thread (sync) or are copied anyway (a cluster
  // client without uploads copies them into its frames): a buffer of its own per file costs
  // an allocation and a copy (~120 µs per file in Chromium). A cache keys them as Files.
  const asBlobs = cache === undefined && scheduler.takesBlobs === true;
  const ahead =
    cache === undefined && !asBlobs
      ? new FileReadAhead(sources, { views: sequential || collectsBatches(scheduler) })
      : undefined;
  const plan = ahead?.plan ?? (asBlobs ? planGroups(sources) : undefined);
  // With the default batches, each group is one batch and one task (group.ts) over the group's
  // buffer (moved to a pool's worker as read), or its composed Blob; other sources go alone.
  const groupAt = new Map<number, number>();
  if (plan !== undefined && options.batchSize === undefined)
    plan.forEach((p, g) => groupAt.set(p.first, g));
  // Paths and URLs, with the default batches and no cache, go in groups too: one task per
  // group, which reads its files where it runs (group.ts).
  const byPath =
    groupAt.size === 0 &&
    options.batchSize === undefined &&
    cache === undefined &&
    sources.every((s) => typeof s === 'string' || s instanceof URL);
  // An explicit batch size is kept as given; the default one starts small (see batchStarts).
  const starts =
    groupAt.size > 0 && plan !== undefined
      ? groupStarts(sources.length, plan)
      : byPath
        ? batchStarts(sources.length, PATH_GROUP, FIRST_BATCH)
        : batchStarts(sources.length, size, options.batchSize === undefined ? FIRST_BATCH : size);
  // One list task per batch of several files, on a cluster only (see the header).
  const collect = size > 1 && collectsBatches(scheduler);
  let lists = 0;
  for (let b = 0; b + 1 < starts.length; b++)
    if ((starts[b + 1] as number) - (starts[b] as number) > 1) lists++;
  // Groups run one task per batch: the progress counts batches.
  const group =
    groupAt.size > 0 || byPath
      ? new RunGroup(options.callbacks ?? [], starts.length - 1)
      : new RunGroup(options.callbacks ?? [], sources.length, collect ? lists : 0);
  const results = new Array<SpreadResult>(sources.length);

  /** `compute` of the files at `indices`, `[spread, day]` per file, through the package's slot. */
  const computeFiles = async (indices: readonly number[]): Promise<unknown[]> => {
    // Each computation builds its own files' graph: building every file's up front would hold
    // the thread before the first file starts (~0.3 s at 5,000 files).
    // A file whose group could not be read goes as it is: its own read then fails alone.
    const reads = indices.map((i) => ahead?.take(i)?.catch(() => undefined));
    const read = reads.some((r) => r !== undefined)
      ? await Promise.all(reads.map((r) => r ?? Promise.resolve(undefined)))
      : undefined;
    const values = buildSpreadPairs(
      indices.map((i, k) => read?.[k] ?? (sources[i] as CsvSource)),
      mapping,
      read && indices.map((i, k) => (read[k] === undefined ? undefined : fileName(i))),
    );
    const collected = collect && indices.length > 1;
    // Through the slot the package entry fills: this module stays below the api layer.
    const computed = getDelayedBackend().compute(collected ? [delayed(values)] : values, {
      scheduler,
      callbacks: [group.member(indices.length, collected ? 1 : 0)],
      ...(numWorkers === undefined ? {} : { numWorkers }),
      ...(signal === undefined ? {} : { signal }),
      ...(cache === undefined ? {} : { cache }),
    });
    return collected ? computed.then((out) => out[0] as unknown[]) : computed;
  };

  const fileName = (i: number): string => names?.[i] ?? sourceName(sources[i], i);
  const settle = (i: number, outcome: { spread: number; day: Date } | { error: unknown }): void => {
    const file = fileName(i);
    let result: SpreadResult;
    if ('error' in outcome) {
      result = { file, error: toBaskError(outcome.error) };
      group.fail(result.error);
    } else {
      result = { file, day: outcome.day, spread: outcome.spread };
    }
    results[i] = result;
    onResult?.(result, i);
  };

  const computeOne = async (i: number): Promise<void> => {
    let outcome: { spread: number; day: Date } | { error: unknown };
    try {
      const [[spread, day]] = (await computeFiles([i])) as [[number, Date]];
      outcome = { spread, day };
    } catch (error) {
      outcome = { error };
    }
    settle(i, outcome);
  };

  /** Each file of a batch that failed (or could not be read) in a computation of its own. */
  const oneByOne = async (indices: readonly number[]): Promise<void> => {
    await Promise.all(indices.map(computeOne));
  };

  /**
   * A group of files as one task (group.ts) that gives each its outcome; when the task fails
   * (its worker died with the bytes, say), each file again on its own.
   */
  const computeAsOne = async (
    task: Delayed<GroupOutcome[]>,
    indices: readonly number[],
  ): Promise<void> => {
    let outcomes: GroupOutcome[];
    try {
      [outcomes] = (await getDelayedBackend().compute([task], {
        scheduler,
        callbacks: [group.member(1)],
        ...(numWorkers === undefined ? {} : { numWorkers }),
        ...(signal === undefined ? {} : { signal }),
      })) as [GroupOutcome[]];
    } catch {
      await oneByOne(indices);
      return;
    }
    indices.forEach((i, k) => {
      const outcome = outcomes[k] as GroupOutcome;
      if ('error' in outcome) settle(i, { error: deserializeError(outcome.error) });
      else settle(i, { spread: outcome[0], day: outcome[1] });
    });
  };

  /** Group g of the files, as one task over its bytes (read ahead) or its composed Blob. */
  const computeGroup = async (g: number, indices: readonly number[]): Promise<void> => {
    // A cluster client uploads the composed Blob; the task receives its bytes (BytesOf).
    const bytes = asBlobs
      ? (new BytesOf(new Blob(indices.map((i) => sources[i] as Blob))) as unknown as Uint8Array)
      : await ahead?.takeGroup(g)?.catch(() => undefined);
    const starts = plan?.[g]?.starts;
    if (bytes === undefined || starts === undefined) return oneByOne(indices);
    const named = indices.map(fileName);
    return computeAsOne(delayed(tasks.spreadsOfGroup)(bytes, starts, named, mapping), indices);
  };

  /** Paths or URLs, as one task that reads each where it runs. */
  const computePaths = (indices: readonly number[]): Promise<void> =>
    computeAsOne(
      delayed(tasks.spreadsOfSources)(
        indices.map((i) => sources[i] as CsvSource),
        indices.map((i) => names?.[i]),
        mapping,
      ),
      indices,
    );

  /** A batch of files as one computation; when it fails, each file again on its own. */
  const computeBatch = async (indices: readonly number[]): Promise<void> => {
    const g = groupAt.get(indices[0] as number);
    if (g !== undefined) return computeGroup(g, indices);
    if (byPath) return computePaths(indices);
    if (indices.length === 1) return computeOne(indices[0] as number);
    let values: unknown[];
    try {
      values = await computeFiles(indices);
    } catch {
      // Which file failed (and whether others would have): isolate them.
      await oneByOne(indices);
      return;
    }
    indices.forEach((i, k) => {
      const [spread, day] = values[k] as [number, Date];
      settle(i, { spread, day });
    });
  };

  try {
    if (sequential) {
      let lastYield = now();
      for (let b = 0; b + 1 < starts.length; b++) {
        await computeBatch(batchIndices(starts, b));
        if (now() - lastYield > YIELD_EVERY_MS) {
          await yieldToEventLoop();
          lastYield = now();
        }
      }
    } else {
      const inFlight = options.concurrency ?? defaultConcurrency(scheduler);
      // Groups as Blobs: a few at a time (their Blobs are composed as they go: see BLOB_GROUPS).
      const window =
        asBlobs && options.concurrency === undefined
          ? BLOB_GROUPS
          : Math.max(1, Math.ceil(inFlight / size));
      await runWindowed(starts.length - 1, window, (b) => computeBatch(batchIndices(starts, b)));
    }
  } finally {
    group.end();
  }
  return results;
}

/**
 * Whether a batch's values come back as one list (see the header): on a cluster each wanted
 * key is a message to the client; a local pool hands values over in its own batches.
 */
function collectsBatches(scheduler: Scheduler): boolean {
  return scheduler.schedulerName === 'distributed';
}

/** The sync scheduler runs one computation at a time; the others share their workers. */
function isSequential(scheduler: Scheduler): boolean {
  return scheduler.schedulerName === 'sync';
}

function sourceName(source: CsvSource | undefined, i: number): string {
  if (typeof source === 'string') return source;
  if (source instanceof URL) return source.href;
  const name = (source as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && name !== '' ? name : `source ${i + 1}`;
}

function toBaskError(error: unknown): BaskError {
  if (isBaskError(error)) return error;
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new BaskError('ERR_TASK_FAILED', message, { cause: error });
}

/**
 * A duration as IPython's `%time` prints it (3 significant digits): `812 ms`, `1.23 s`,
 * `45.6 µs`, for `Wall time: ...` lines.
 */
export function formatWallTime(ms: number): string {
  const seconds = Math.max(0, ms) / 1000;
  const [scale, unit] =
    seconds >= 1
      ? [1, 's']
      : seconds >= 1e-3
        ? [1e3, 'ms']
        : seconds >= 1e-6
          ? [1e6, 'µs']
          : [1e9, 'ns'];
  return `${Number((seconds * scale).toPrecision(3))} ${unit}`;
}
