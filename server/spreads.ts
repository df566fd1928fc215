/**
 * `bask spreads`: the demo page's headless twin. Computes each CSV file's daily spread with
 * `runSpreads` (one computation per file, so a bad file is reported and the others still
 * compute) and prints a table and the wall time, or JSON for scripts.
 *
 * Policy: stdout carries only the results (the table and `Wall time: ...`, or with `--json`
 * a JSON array and nothing else); the progress bar and the wall time in JSON mode go to
 * stderr. Exit codes: 0 when every file computed, 1 when some failed, 2 on bad usage (cli.ts
 * maps ERR_INVALID_ARGUMENT and parseArgs errors to 2).
 *
 * Start-up: the command imports what a local run needs (the run loop, the progress bar, the
 * local schedulers, installed as the Node entry installs them) and the whole Node entry, with
 * the cluster client, only for a `ws://` address: about 0.1 s of CPU less per run. On threads
 * the pool's workers start as soon as the files are listed (no more of them than files), and
 * boot while this thread loads the library.
 *
 * Without `--scheduler` the command picks sync or threads by the file count
 * (`defaultScheduler`): a whole process pays for a pool before its first file.
 */
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import type { Client } from '../src/client/client.js';
import { ProgressBar } from '../src/diagnostics/progress.js';
import { BaskError } from '../src/errors.js';
import type { Scheduler } from '../src/scheduler.js';
import { formatWallTime, isSpreadFailure, runSpreads, type SpreadResult } from '../src/seed/run.js';
import type { SpreadsOptions } from '../src/seed/spreads.js';
import { listCsvFiles } from '../src/seed/node.js';
import type { Command } from './command.js';
import { parseCount } from './options.js';

/**
 * Files from which `bask spreads` computes on worker threads when `--scheduler` is not given.
 * A whole process pays for a pool before its first file: each worker thread boots a Node
 * environment (~50 ms of CPU) and compiles the parse afresh, work a single thread does once.
 * Measured on 2 cores (bench/duckdb-cpu.ts, whole processes, a loaded machine), threads took
 * more CPU and more time than sync at 250 and 2,000 files, and 1.7x sync's CPU at 8,000;
 * re-measure (quietly) when the pool's per-file cost changes.
 */
export const THREADS_FROM_FILES = 4000;

const HELP = `Usage: bask spreads <files or folders...> [options]

Computes each CSV file's spread (highest high minus lowest low) and day (its first
timestamp): the seed workload of the Dask tutorial. A folder stands for the .csv files in
it (not searched recursively). A bad file is reported; the others are still computed.

Options:
  --scheduler <spec>  sync, threads (worker threads), processes (worker processes),
                      or a cluster address such as ws://127.0.0.1:8786 (default:
                      threads from ${THREADS_FROM_FILES} files or with --workers, else
                      sync: on fewer files a pool's start costs more than it saves)
  --workers <n>       worker count of the pool (default: the machine's cores;
                      ignored by sync; given alone, it picks threads)
  --timestamp <col>   the timestamp column (default: timestamp, date, datetime or time,
                      else the first column holding dates)
  --high <col>        the high-price column (default: high, in any case)
  --low <col>         the low-price column (default: low, in any case)
  --json              print a JSON array with one { file, day, spread } or
                      { file, error, code } per file instead of the table
  -h, --help          show this help

Exit codes: 0 every file computed, 1 some files failed, 2 bad usage.`;

/** What `--scheduler` resolves to: a local scheduler by name, or a connected cluster client. */
export type SpreadsScheduler = 'sync' | 'threads' | 'processes' | Scheduler;

/**
 * Resolves `--scheduler`: `sync` (and Dask's aliases), `threads`, `processes` (a pool of
 * worker processes), or a `ws://` / `wss://` cluster address. Anything else is a usage error.
 */
export function resolveScheduler(spec: string): Promise<SpreadsScheduler> {
  switch (spec) {
    case 'sync':
    case 'synchronous':
    case 'single-threaded':
      return installLocal('sync').then(() => 'sync');
    case 'threads':
      return installLocal('threads').then(() => 'threads');
    case 'processes':
      return installLocal('processes').then(() => 'processes');
  }
  if (/^wss?:\/\//i.test(spec)) {
    return import('../src/index.node.js').then(({ Client }) =>
      Client.connect(spec, { name: 'bask spreads', setAsDefault: false }),
    );
  }
  return Promise.reject(
    optionError(
      'scheduler',
      `expected sync, threads, processes or a cluster address such as ws://127.0.0.1:8786, got '${spec}'`,
    ),
  );
}

/**
 * The local scheduler `bask spreads` picks when `--scheduler` is not given: worker threads
 * when there are cores to share and files enough to repay the pool's start, or when
 * `--workers` asks for a pool; else sync. An explicit `--scheduler` always wins.
 */
export function defaultScheduler(
  fileCount: number,
  cores: number,
  numWorkers?: number,
): 'sync' | 'threads' {
  if (numWorkers !== undefined) return 'threads';
  return cores >= 2 && fileCount >= THREADS_FROM_FILES ? 'threads' : 'sync';
}

/** The `bask spreads` command. */
export const spreadsCommand: Command = {
  summary: "Compute each CSV file's daily spread (the demo page, in a terminal)",
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: {
        scheduler: { type: 'string' },
        workers: { type: 'string' },
        timestamp: { type: 'string' },
        high: { type: 'string' },
        low: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    });
    if (positionals.length === 0) {
      throw new BaskError(
        'ERR_INVALID_ARGUMENT',
        'no input: pass CSV files or folders, e.g. bask spreads data/GOOG',
      );
    }
    const numWorkers =
      values.workers === undefined ? undefined : parseCount('workers', values.workers, 1);
    const mapping = columnMapping(values);
    const files = await expandSources(positionals);
    const cores = availableParallelism();
    const spec = values.scheduler ?? defaultScheduler(files.length, cores, numWorkers);
    // A local pool never needs more workers than there are files.
    const isPool = spec === 'threads' || spec === 'processes';
    const poolSize = numWorkers ?? (isPool ? Math.min(cores, files.length) : undefined);
    if (spec === 'threads') await prestartThreads(poolSize ?? cores);
    const scheduler = await resolveScheduler(spec);
    const started = performance.now();
    try {
      const results = await runSpreads(files, {
        scheduler,
        mapping,
        callbacks: [new ProgressBar()],
        ...(poolSize === undefined ? {} : { numWorkers: poolSize }),
      });
      const wallTime = `Wall time: ${formatWallTime(performance.now() - started)}`;
      if (values.json) {
        console.log(JSON.stringify(results.map(toJson), null, 2));
        console.error(wallTime);
      } else {
        console.log(formatTable(results));
        console.log(wallTime);
      }
      return results.some(isSpreadFailure) ? 1 : 0;
    } finally {
      if (scheduler === 'threads' || scheduler === 'processes') {
        const { defaultPool, processPool } = await import('../src/local/pools.js');
        await (scheduler === 'threads' ? defaultPool : processPool).close();
      }
      if (typeof scheduler === 'object') await (scheduler as Client).close();
    }
  },
};

/**
 * What a local run needs of the Node entry, without the cluster client and the bundler
 * (src/setup-node.ts, which the entry imports too): the lazy API's backend, bask's own task
 * modules (the sync scheduler runs `bask:seed` tasks in this thread) and the local schedulers.
 * The runtime of worker processes only for `processes`: it brings their pipe's codec
 * (msgpackr), ~20 ms of CPU to load that sync and threads never use.
 */
async function installLocal(spec: 'sync' | 'threads' | 'processes'): Promise<void> {
  if (spec === 'processes') {
    await import('../src/setup-node.js');
    return;
  }
  const [, { installSchedulers }, { nodeRuntime }] = await Promise.all([
    import('../src/setup.js'),
    import('../src/install.js'),
    import('../src/local/runtime-node.js'),
  ]);
  installSchedulers(nodeRuntime);
}

/**
 * Starts the pool's `count` worker threads at once (as many as the pool will ask for), so
 * that they boot while this thread loads the library.
 */
async function prestartThreads(count: number): Promise<void> {
  const { prestartWorkers } = await import('../src/local/runtime-node.js');
  prestartWorkers(count);
}

function optionError(option: string, message: string): BaskError {
  return new BaskError('ERR_INVALID_ARGUMENT', `--${option}: ${message}`);
}

function columnMapping(values: {
  timestamp?: string;
  high?: string;
  low?: string;
}): SpreadsOptions {
  const mapping: SpreadsOptions = {};
  for (const role of ['timestamp', 'high', 'low'] as const) {
    const column = values[role];
    if (column === undefined) continue;
    if (column.trim() === '') throw optionError(role, 'expected a column name, got nothing');
    mapping[role] = column;
  }
  return mapping;
}

/**
 * Files stay as given (a path that cannot be read is that file's error, reported with the
 * others); a folder becomes its .csv files, and a folder without any is an error.
 */
async function expandSources(args: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const arg of args) {
    let info: Stats | undefined;
    try {
      info = await stat(arg);
    } catch {
      info = undefined;
    }
    if (info?.isDirectory() !== true) {
      files.push(arg);
      continue;
    }
    const inside = await listCsvFiles(arg);
    if (inside.length === 0) {
      throw new BaskError(
        'ERR_INVALID_ARGUMENT',
        `the folder '${arg}' has no .csv files in it (folders are not searched recursively). ` +
          'Pass CSV files, or a folder that holds some.',
      );
    }
    files.push(...inside);
  }
  return files;
}

/** The day of a timestamp as `YYYY-MM-DD` (timestamps are UTC, as the frame parses them). */
function isoDay(day: Date): string {
  return day.toISOString().slice(0, 10);
}

function toJson(result: SpreadResult): Record<string, unknown> {
  if (isSpreadFailure(result)) {
    return { file: result.file, error: result.error.message, code: result.error.code };
  }
  return { file: result.file, day: isoDay(result.day), spread: result.spread };
}

/** The results as aligned columns: file, day, spread (4 decimals), or the file's error. */
function formatTable(results: readonly SpreadResult[]): string {
  const width = Math.max('file'.length, ...results.map((r) => r.file.length));
  const spreads = results.map((r) => (isSpreadFailure(r) ? '' : r.spread.toFixed(4)));
  const spreadWidth = Math.max('spread'.length, ...spreads.map((s) => s.length));
  const lines = [`${'file'.padEnd(width)}  ${'day'.padEnd(10)}  ${'spread'.padStart(spreadWidth)}`];
  results.forEach((r, i) => {
    const rest = isSpreadFailure(r)
      ? `error: ${r.error.message}`
      : `${isoDay(r.day)}  ${(spreads[i] as string).padStart(spreadWidth)}`;
    lines.push(`${r.file.padEnd(width)}  ${rest}`);
  });
  const failed = results.filter(isSpreadFailure).length;
  if (failed > 0) lines.push('', `${failed} of ${results.length} files failed.`);
  return lines.join('\n');
}
