/**
 * bench/duckdb.ts's comparison with CPU time beside wall time, for machines that other work
 * shares (wall time alone then says more about the neighbours than about the code):
 *  - in process, in a fresh child per contender: DuckDB's query (@duckdb/node-api from the
 *    anchor folder) and bask's `compute` and `runSpreads` on sync and threads (this checkout,
 *    and `--before DIR`); CPU = `process.cpuUsage()` over the run, every thread of the process
 *    (DuckDB's and the pool's workers) included; 1 warm-up, median of `--reps`;
 *  - whole processes: `node node_duck.mjs DIR --once` and `bask spreads DIR --json` on sync and
 *    threads; CPU = the children's user + system time that Linux adds to this process once it
 *    reaps them (`/proc/self/stat`, 10 ms resolution); median of `--procs`, the contenders
 *    alternating process by process.
 * Data and anchor as bench/duckdb.ts (run that once first: it installs the anchor).
 *
 *   npm run build && node dist/bench/duckdb-cpu.js [--anchor /tmp/bask-duckdb] [--before DIR]
 *     [--sets 250,2000] [--reps 5] [--procs 5] [--whole-only]
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { arg, record, save, summarize } from './lib.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ANCHOR = resolve(arg('anchor', '/tmp/bask-duckdb'));
const REPS = Number(arg('reps', '5'));
const PROCS = Number(arg('procs', '5'));
/** `--whole-only`: whole processes only (the CLI's start-up), without the in-process runs. */
const WHOLE_ONLY = process.argv.includes('--whole-only');

type Timing = { cpuMs: number; wallMs: number };

/** CPU ms of this process's reaped children so far (cutime + cstime, Linux). */
function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

function medianOf(runs: Timing[]): Timing {
  return {
    cpuMs: Math.round(summarize(runs.map((r) => r.cpuMs)).median),
    wallMs: Math.round(summarize(runs.map((r) => r.wallMs)).median),
  };
}

async function timed(fn: () => Promise<unknown>): Promise<Timing> {
  await fn();
  const runs: Timing[] = [];
  for (let i = 0; i < REPS; i++) {
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    const used = process.cpuUsage(cpu);
    runs.push({ cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - t0 });
  }
  return medianOf(runs);
}

/** In a child: one contender in process; prints `{ way: Timing }` as JSON. */
async function child(dir: string, who: string): Promise<void> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.csv'))
    .sort()
    .map((f) => join(dir, f));
  const out: Record<string, Timing> = {};
  if (who === 'duckdb') {
    const require = createRequire(join(ANCHOR, 'package.json'));
    const duck = (await import(pathToFileURL(require.resolve('@duckdb/node-api')).href)) as {
      DuckDBInstance: { create(path: string): Promise<DuckConnectable> };
    };
    const common = (await import(pathToFileURL(join(ANCHOR, 'common.mjs')).href)) as {
      spreadsSql(glob: string): string;
    };
    const conn = await (await duck.DuckDBInstance.create(':memory:')).connect();
    const sql = common.spreadsSql(`${dir}/*.csv`);
    out['query'] = await timed(async () => (await conn.runAndReadAll(sql)).getRowObjectsJS());
  } else {
    const bask = (await import(pathToFileURL(join(who, 'dist/src/index.node.js')).href)) as Bask;
    const seed = (await import(pathToFileURL(join(who, 'dist/src/seed/index.js')).href)) as Seed;
    for (const scheduler of ['sync', 'threads'] as const) {
      out[`compute ${scheduler}`] = await timed(() => {
        const spreads: unknown[] = [];
        const days: unknown[] = [];
        for (const f of files) {
          const df = bask.delayed(seed.tasks.readPrices)(f);
          spreads.push(df.high.max().sub(df.low.min()));
          days.push(df.index.at(0));
        }
        return bask.compute(spreads, days, { scheduler });
      });
      out[`runSpreads ${scheduler}`] = await timed(() => seed.runSpreads(files, { scheduler }));
    }
    await bask.defaultPool.close();
  }
  console.log(JSON.stringify(out));
}

interface DuckConnectable {
  connect(): Promise<{
    runAndReadAll(sql: string): Promise<{ getRowObjectsJS(): unknown[] }>;
  }>;
}
/** Another checkout's entries have this checkout's shape. */
type Bask = typeof import('bask');
type Seed = typeof import('bask/seed');

function inChild(dir: string, who: string): Promise<Record<string, Timing>> {
  return new Promise((done, fail) => {
    const args = [fileURLToPath(import.meta.url), '--child', dir, who, '--anchor', ANCHOR];
    execFile(process.execPath, [...args, '--reps', String(REPS)], (error, stdout, stderr) =>
      error
        ? fail(new Error(`${who}: ${stderr}`))
        : done(JSON.parse(stdout) as Record<string, Timing>),
    );
  });
}

/** One whole process, spawn to exit, and the CPU it used. */
function wholeProcess(cmd: string[], cwd: string): Promise<Timing> {
  return new Promise((done, fail) => {
    const cpu0 = childrenCpuMs();
    const t0 = performance.now();
    const proc = spawn(process.execPath, cmd, { cwd, stdio: 'ignore' });
    proc.on('error', fail);
    proc.on('exit', () => done({ wallMs: performance.now() - t0, cpuMs: childrenCpuMs() - cpu0 }));
  });
}

async function main(): Promise<void> {
  const before = arg('before', '');
  const checkouts: [string, string][] = [['after', ROOT]];
  if (before !== '') checkouts.unshift(['before', resolve(before)]);
  const rows: object[] = [];
  for (const files of arg('sets', '250,2000').split(',').map(Number)) {
    const dir = `/tmp/stocks${files}/GOOG`;
    const contenders: [string, string][] = [
      ['duckdb node', 'duckdb'],
      ...checkouts.map(([code, path]): [string, string] => [`bask (${code})`, path]),
    ];
    for (const [lib, who] of WHOLE_ONLY ? [] : contenders) {
      for (const [way, t] of Object.entries(await inChild(dir, who))) {
        record(rows, { files, lib, way: `in process ${way}`, cpu_ms: t.cpuMs, wall_ms: t.wallMs });
      }
    }
    const processes: [string, string, string[], string][] = [
      ['duckdb node', '--once', [join(ANCHOR, 'node_duck.mjs'), dir, '--once'], ANCHOR],
    ];
    for (const [code, path] of checkouts) {
      for (const s of ['sync', 'threads']) {
        const cli = [join(path, 'bin/bask.js'), 'spreads', dir, '--scheduler', s, '--json'];
        processes.push([`bask (${code})`, `bask spreads ${s}`, cli, path]);
      }
    }
    // Round-robin, process by process (reversed every other round), so that every contender
    // sees the same neighbours on a shared machine.
    const runs = processes.map((): Timing[] => []);
    for (let i = 0; i < PROCS; i++) {
      const order = processes.map((_, j) => (i % 2 === 0 ? j : processes.length - 1 - j));
      for (const j of order) {
        const [, , cmd, cwd] = processes[j] as (typeof processes)[number];
        runs[j]?.push(await wholeProcess(cmd, cwd));
      }
    }
    processes.forEach(([lib, way], j) => {
      const t = medianOf(runs[j] ?? []);
      record(rows, { files, lib, way: `whole process ${way}`, cpu_ms: t.cpuMs, wall_ms: t.wallMs });
    });
  }
  save('duckdb-cpu', rows, { anchor: ANCHOR, reps: REPS, procs: PROCS });
}

const at = process.argv.indexOf('--child');
if (at >= 0) await child(process.argv[at + 1] as string, process.argv[at + 2] as string);
else await main();
