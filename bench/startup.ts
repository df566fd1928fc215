/**
 * Where `bask spreads --json` spends its time as a whole process (issue 16: ~0.4 s before and
 * around the work). Each run is a fresh `node` that marks, in ms since the process started:
 * node's own start (`performance.nodeTiming.bootstrapComplete`), importing the CLI's command
 * table (`dist/server/cli.js`), importing the spreads command with the library under it, and
 * the command itself (listing the files, the pool's start for threads, reading and parsing,
 * the output, closing the pool); the parent adds the time from spawn to exit. CPU time (user +
 * system) is kept beside wall time, since on a shared machine wall time alone says little.
 * The command is run on one file (start-up alone) and on the whole folder.
 *
 *   npm run build && node dist/bench/startup.js [--data /tmp/stocks250/GOOG] [--procs 5]
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
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

/** In the child: imports and runs the command, marking each phase; prints the marks on fd 3. */
async function child(args: string[]): Promise<void> {
  const bootMs = performance.nodeTiming.bootstrapComplete;
  const cli = (await import(pathToFileURL(join(ROOT, 'dist/server/cli.js')).href)) as {
    main: (argv: string[]) => Promise<number>;
  };
  const cliImportedMs = performance.now();
  await import(pathToFileURL(join(ROOT, 'dist/server/spreads.js')).href);
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

function spawnOnce(args: string[]): Promise<Marks> {
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', ...args], {
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
  const one = join(data, readdirSync(data).filter((f) => f.endsWith('.csv'))[0] as string);
  const rows: object[] = [];
  for (const [input, label] of [
    [one, '1 file'],
    [data, 'folder'],
  ] as const) {
    for (const scheduler of ['sync', 'threads']) {
      const runs: Marks[] = [];
      for (let i = 0; i < procs; i++) {
        runs.push(await spawnOnce(['spreads', input, '--scheduler', scheduler, '--json']));
      }
      const med = (f: (m: Marks) => number): number =>
        Math.round(summarize(runs.map(f)).median * 10) / 10;
      record(rows, {
        kind: 'startup',
        input: label,
        scheduler,
        node_boot_ms: med((m) => m.bootMs),
        import_cli_ms: med((m) => m.cliImportedMs - m.bootMs),
        import_spreads_and_library_ms: med((m) => m.spreadsImportedMs - m.cliImportedMs),
        command_ms: med((m) => m.ranMs - m.spreadsImportedMs),
        exit_after_command_ms: med((m) => (m.exitMs ?? 0) - m.ranMs),
        spawn_to_exit_ms: med((m) => m.exitMs ?? 0),
        cpu_ms: med((m) => m.cpuMs),
      });
    }
  }
  save('startup', rows, { data, procs });
}

const at = process.argv.indexOf('--child');
if (at >= 0) await child(process.argv.slice(at + 1));
else await main();
