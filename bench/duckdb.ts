/**
 * The seed workload against DuckDB (issue 16), side by side in one run, on 250 and 2,000 files
 * of minute bars (`gen_stocks.py --seed 20240101`): DuckDB's node API in process and as a
 * whole process, and bask (this checkout, and with `--before` another built checkout) in
 * process (`compute` on sync and threads, and `runSpreads`) and `bask spreads --json` as a
 * whole process. It runs the scripts of ../shared/anchors/duckdb (node_duck.mjs,
 * bask_same_run.mjs), which also check that every result agrees with DuckDB's (days, spreads
 * within 1e-9).
 *
 * The anchor needs its own packages: copy ../shared/anchors/duckdb to a scratch folder and run
 * `npm ci` there once (this script does both when the folder has no node_modules).
 *
 *   npm run build && node dist/bench/duckdb.js [--anchor /tmp/bask-duckdb] [--before DIR]
 *     [--sets 250,2000] [--reps 5] [--procs 5]
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { anchors, arg, record, run, save, seedStocks } from './lib.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ANCHOR = resolve(arg('anchor', '/tmp/bask-duckdb'));
const REPS = arg('reps', '5');
const PROCS = arg('procs', '5');
const SETS = arg('sets', '250,2000').split(',').map(Number);
const BEFORE = arg('before', '');

/** The anchor folder, with its packages installed. */
async function ensureAnchor(): Promise<void> {
  if (!existsSync(join(ANCHOR, 'node_duck.mjs'))) {
    cpSync(join(anchors(), 'duckdb'), ANCHOR, { recursive: true });
  }
  if (!existsSync(join(ANCHOR, 'node_modules', '@duckdb', 'node-api'))) {
    await run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: ANCHOR });
  }
}

/** `/tmp/stocks<N>/GOOG`, generated when missing. */
/** Runs an anchor script; its `RESULT {json}` line. */
async function anchorResult(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const out = await new Promise<string>((done, fail) => {
    execFile(
      process.execPath,
      [join(ANCHOR, script), ...args],
      { cwd: ANCHOR, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => (error ? fail(new Error(`${script}: ${stderr}`)) : done(stdout)),
    );
  });
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (line === undefined) throw new Error(`${script} printed no RESULT line:\n${out}`);
  return JSON.parse(line.slice('RESULT '.length)) as Record<string, unknown>;
}

type Stats = { median: number; min: number; max: number };

const rows: object[] = [];
await ensureAnchor();
const checkouts: [string, string][] = [['after', ROOT]];
if (BEFORE !== '') checkouts.unshift(['before', resolve(BEFORE)]);
for (const files of SETS) {
  const { dir } = await seedStocks(files);
  const duck = await anchorResult('node_duck.mjs', [dir, '--reps', REPS, '--procs', PROCS]);
  const query = duck['queryMs'] as Stats;
  const proc = duck['processMs'] as Stats;
  record(rows, { files, lib: 'duckdb node', way: 'in process (query)', ...msOf(query) });
  record(rows, { files, lib: 'duckdb node', way: 'whole process', ...msOf(proc) });
  for (const [code, dirOf] of checkouts) {
    const bask = await anchorResult('bask_same_run.mjs', [dir, '--reps', REPS, '--procs', PROCS], {
      BASK_DIR: dirOf,
    });
    const lib = `bask (${code})`;
    for (const [way, s] of Object.entries(bask['inproc'] as Record<string, { ms: Stats }>)) {
      record(rows, {
        files,
        lib,
        way: `in process ${way}`,
        ...msOf(s.ms),
        vs_duck: ratio(s.ms, query),
      });
    }
    for (const [way, s] of Object.entries(bask['cli'] as Record<string, { processMs: Stats }>)) {
      record(rows, {
        files,
        lib,
        way: `bask spreads --scheduler ${way} (whole process)`,
        ...msOf(s.processMs),
        vs_duck: ratio(s.processMs, proc),
      });
    }
    record(rows, { files, lib, way: 'agrees with DuckDB', ok: bask['allAgree'] });
  }
}
save('duckdb', rows, { anchor: ANCHOR, sets: SETS, reps: REPS, procs: PROCS });

function msOf(s: Stats): object {
  return { median_ms: s.median, min_ms: s.min, max_ms: s.max };
}

function ratio(mine: Stats, duck: Stats): number {
  return Math.round((mine.median / duck.median) * 100) / 100;
}
