/**
 * Where `bask spreads --json` spends its time as a whole process (issue 16: ~0.4 s before and
 * around the work). Each run is a fresh `node` that marks, in ms since the process started:
 * node's own start (`performance.nodeTiming.bootstrapComplete`), importing the CLI's command
 * table (`dist/cli/cli.js`, the bundle bin/bask.js runs, else `dist/server/cli.js`), importing the spreads command with the library under it, and
 * the command itself (listing the files, the pool's start for threads, reading and parsing,
 * the output, closing the pool); the parent adds the time from spawn to exit. CPU time (user +
 * system) is kept beside wall time, since on a shared machine wall time alone says little.
 * The command is run on one file (start-up alone) and on the whole folder.
 *
 * With `--before DIR` (another built checkout) the two alternate, process by process.
 *
 *   npm run build && node dist/bench/startup.js [--data /tmp/stocks250/GOOG] [--procs 5]
 *     [--before DIR]
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { arg, record, save, summarize } from './lib.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Marks {
  bootMs: number;
  cliImportedMs: number;
  spreadsImportedMs: number;
  ranMs: number;
  cpuMs: number;
  exitMs?: number;
}

interface Cli {
  main: (argv: string[]) => Promise<number>;
  loadCommand?: (name: string) => Promise<unknown>;
}

/**
 * In the child: imports and runs the command of the checkout at `root` as bin/bask.js does
 * (from its bundle, dist/cli/, where it has one), marking each phase; prints the marks on
 * stderr.
 */
async function child(root: string, args: string[]): Promise<void> {
  const bootMs = performance.nodeTiming.bootstrapComplete;
  const bundled = join(root, 'dist/cli/cli.js');
  const entry = existsSync(bundled) ? bundled : join(root, 'dist/server/cli.js');
  const cli = (await import(pathToFileURL(entry).href)) as Cli;
  const cliImportedMs = performance.now();
  if (cli.loadCommand !== undefined) await cli.loadCommand('spreads');
  else await import(pathToFileURL(join(root, 'dist/server/spreads.js')).href);
  const spreadsImportedMs = performance.now();
  const code = await cli.main(args);
  const ranMs = performance.now();
  const cpu = process.cpuUsage();
  const marks: Marks = {
    bootMs,
    cliImportedMs,
    spreadsImportedMs,
    ranMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
  process.stderr.write(`MARKS ${JSON.stringify(marks)}\n`);
  process.exitCode = code;
}

function spawnOnce(root: string, args: string[]): Promise<Marks> {
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const script = fileURLToPath(import.meta.url);
    const proc = spawn(process.execPath, [script, '--child', root, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    proc.on('error', fail);
    proc.on('exit', () => {
      const line = err.split('\n').find((l) => l.startsWith('MARKS '));
      if (line === undefined) return fail(new Error(`no marks: ${err}`));
      const marks = JSON.parse(line.slice(6)) as Marks;
      done({ ...marks, exitMs: performance.now() - t0 });
    });
  });
}

async function main(): Promise<void> {
  const data = arg('data', '/tmp/stocks250/GOOG');
  const procs = Number(arg('procs', '5'));
  const before = arg('before', '');
  const checkouts: [string, string][] = [['after', ROOT]];
  if (before !== '') checkouts.unshift(['before', resolve(before)]);
  const one = join(data, readdirSync(data).filter((f) => f.endsWith('.csv'))[0] as string);
  const rows: object[] = [];
  for (const [input, label] of [
    [one, '1 file'],
    [data, 'folder'],
  ] as const) {
    for (const scheduler of ['sync', 'threads']) {
      const args = ['spreads', input, '--scheduler', scheduler, '--json'];
      // Checkouts alternate, process by process, so that both see the same neighbours.
      const runs = new Map<string, Marks[]>(checkouts.map(([code]) => [code, []]));
      for (let i = 0; i < procs; i++) {
        const order = i % 2 === 0 ? checkouts : [...checkouts].reverse();
        for (const [code, root] of order) runs.get(code)?.push(await spawnOnce(root, args));
      }
      for (const [code, marks] of runs)
        recordPhases(rows, { input: label, scheduler, code }, marks);
    }
  }
  save('startup', rows, { data, procs, before });
}

function recordPhases(rows: object[], labels: object, runs: Marks[]): void {
  const med = (f: (m: Marks) => number): number =>
    Math.round(summarize(runs.map(f)).median * 10) / 10;
  record(rows, {
    kind: 'startup',
    ...labels,
    node_boot_ms: med((m) => m.bootMs),
    import_cli_ms: med((m) => m.cliImportedMs - m.bootMs),
    import_spreads_and_library_ms: med((m) => m.spreadsImportedMs - m.cliImportedMs),
    command_ms: med((m) => m.ranMs - m.spreadsImportedMs),
    exit_after_command_ms: med((m) => (m.exitMs ?? 0) - m.ranMs),
    spawn_to_exit_ms: med((m) => m.exitMs ?? 0),
    cpu_ms: med((m) => m.cpuMs),
  });
}

const at = process.argv.indexOf('--child');
if (at >= 0) await child(process.argv[at + 1] as string, process.argv.slice(at + 2));
else await main();
