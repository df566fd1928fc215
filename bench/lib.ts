/**
 * Benchmark helpers: timing with warm-up and medians, JSON lines out, and running the Dask and
 * Node-pool anchor scripts from ../shared/anchors side by side in the same run (so that the
 * reported figures are ratios measured on the same machine at the same time).
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the anchor scripts are copied (shared/ may be read-only). */
export const ANCHORS = join(tmpdir(), 'bask-anchors');
/** The repository root (this file runs from dist/bench/). */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHARED = join(ROOT, '..', 'shared', 'anchors');
export const RESULTS_DIR = join(ROOT, 'bench', 'results');

/** The value after `--name` on the command line, or `fallback`. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

/** Summary of repeated timings (seconds). */
export interface Summary {
  median: number;
  min: number;
  max: number;
  spreadPct: number;
  n: number;
}

/** Median, min, max and spread of samples. */
export function summarize(samples: number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median =
    s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  return {
    median,
    min: s[0] as number,
    max: s[s.length - 1] as number,
    spreadPct: median > 0 ? (((s[s.length - 1] as number) - (s[0] as number)) / median) * 100 : 0,
    n: s.length,
  };
}

/**
 * Runs `fn` `warmup` times untimed, then `reps` times timed (seconds each). No forced GC between
 * runs: a full collection in V8 drops compiled code and shrinks the heap, which makes the next
 * run about 2x slower than a real program's steady state.
 */
export async function measure(
  fn: () => unknown,
  reps: number,
  warmup = 1,
): Promise<Summary & { first: number }> {
  let first = 0;
  for (let i = 0; i < warmup; i++) {
    const t0 = performance.now();
    await fn();
    if (i === 0) first = (performance.now() - t0) / 1000;
  }
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    samples.push((performance.now() - t0) / 1000);
  }
  return { ...summarize(samples), first };
}

/** Prints a result row as one JSON line and keeps it for the run's results file. */
export function record(rows: object[], row: object): void {
  rows.push(row);
  console.log(JSON.stringify(row));
}

/** Writes a run's rows to bench/results/<name>.json. */
export function save(name: string, rows: object[], meta: object = {}): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.json`);
  writeFileSync(file, JSON.stringify({ when: new Date().toISOString(), ...meta, rows }, null, 1));
  console.error(`wrote ${file}`);
}

/** Copies the anchors to a scratch folder once. */
export function anchors(): string {
  if (!existsSync(join(ANCHORS, 'bench_dask_local.py'))) {
    mkdirSync(dirname(ANCHORS), { recursive: true });
    cpSync(SHARED, ANCHORS, { recursive: true });
  }
  return ANCHORS;
}

/**
 * The anchors' seed data: `days` one-day CSV files of GOOG minute bars (`gen_stocks.py --seed
 * 20240101`) in `<out>/GOOG`, generated when that folder does not hold exactly that many; the
 * folder and its files' paths, sorted.
 */
export async function seedStocks(
  days: number,
  out = `/tmp/stocks${days}`,
): Promise<{ dir: string; files: string[] }> {
  const dir = join(out, 'GOOG');
  const list = (): string[] =>
    existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.csv')) : [];
  if (list().length !== days) {
    const gen = join(anchors(), 'gen_stocks.py');
    await run('/usr/bin/python3', [
      gen,
      '--out',
      out,
      '--days',
      String(days),
      '--seed',
      '20240101',
    ]);
  }
  return {
    dir,
    files: list()
      .sort()
      .map((f) => join(dir, f)),
  };
}

/** Runs a command; resolves with stdout (rejects with stderr on failure). */
export function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { cwd: options.cwd, timeout: options.timeoutMs ?? 30 * 60_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error)
          reject(new Error(`${cmd} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

/** Runs a Python anchor script (Debian's python3, which has dask) and returns its JSON rows. */
export async function daskAnchor(
  script: string,
  args: string[],
): Promise<Record<string, unknown>[]> {
  const dir = anchors();
  const out = join(tmpdir(), `bask-anchor-${script}-${Date.now()}.json`);
  await run('/usr/bin/python3', [join(dir, script), ...args, '--out', out], { cwd: dir });
  const parsed = JSON.parse(readFileSync(out, 'utf8')) as
    { rows?: Record<string, unknown>[] } | Record<string, unknown>[];
  return Array.isArray(parsed) ? parsed : (parsed.rows ?? []);
}

/** Whether Debian's python3 with dask is installed (apt-get install python3-dask ...). */
export async function hasDask(): Promise<boolean> {
  try {
    await run('/usr/bin/python3', ['-c', 'import dask, distributed, pandas']);
    return true;
  } catch {
    return false;
  }
}

/** Formats seconds as µs per task. */
export function perTask(seconds: number, tasks: number): number {
  return Math.round((seconds / tasks) * 1e8) / 100;
}

/**
 * Runs a benchmark against this checkout ('new') and, with `--base DIR`, another build ('base'),
 * `reps` times each in fresh processes, alternating which goes first: each run is
 * `node [flags] SCRIPT --child ROOT ...args`, whose last stdout line is a JSON row. Returns the
 * rows by build name.
 */
export async function alternateBuilds<Row>(
  script: string,
  reps: number,
  args: readonly string[],
  flags: readonly string[] = [],
): Promise<Map<string, Row[]>> {
  const builds: [string, string][] = [['new', ROOT]];
  const base = arg('base', '');
  if (base !== '') builds.unshift(['base', base]);
  const samples = new Map<string, Row[]>(builds.map(([name]) => [name, []]));
  const runChild = (root: string): Promise<Row> =>
    new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        [...flags, script, '--child', root, ...args],
        { maxBuffer: 1 << 24 },
        (error, stdout) => {
          if (error !== null) reject(new Error(error.message));
          else resolve(JSON.parse(stdout.trim().split('\n').pop() as string) as Row);
        },
      );
    });
  for (let rep = 0; rep < reps; rep++)
    for (const [name, root] of rep % 2 === 0 ? builds : [...builds].reverse())
      samples.get(name)?.push(await runChild(root));
  return samples;
}
