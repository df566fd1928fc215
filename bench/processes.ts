/**
 * Real `bask scheduler` and `bask worker` processes for the fault benchmarks (bench/faults.ts,
 * bench/chaos.ts), started from the built CLI on free ports. Every child is kept in `children`
 * so that the benchmark kills what it started (by pid) when it ends, however it ends.
 *
 * Their stderr is kept (the last 1 MB, for `stderr()`) and also goes to ours when
 * BASK_BENCH_STDERR is set.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../bin/bask.js', import.meta.url));

/** Every process started here, running or not. */
export const children: ChildProcess[] = [];

/**
 * Runs `bask ...args` (under `node ...nodeArgs`, e.g. `--cpu-prof`); resolves once its stdout
 * matches `ready` (rejects if it exits first).
 */
export function bask(
  args: string[],
  ready: RegExp,
  nodeArgs: string[] = [],
): Promise<{ child: ChildProcess; match: RegExpMatchArray; stderr: () => string }> {
  const child = spawn(process.execPath, [...nodeArgs, CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-1_000_000);
    if (process.env['BASK_BENCH_STDERR'] !== undefined) process.stderr.write(d);
  });
  const stderr = (): string => err;
  return new Promise((resolve, reject) => {
    let out = '';
    child.on('exit', (code) => reject(new Error(`bask ${args[0]} exited (${code}) early: ${out}`)));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m !== null) resolve({ child, match: m, stderr });
    });
  });
}

/** A scheduler on free ports: its process, ws:// address and http:// base. */
export async function scheduler(
  extra: string[] = [],
  nodeArgs: string[] = [],
): Promise<{ child: ChildProcess; address: string; http: string; stderr: () => string }> {
  const s = await bask(
    ['scheduler', '--port', '0', '--dashboard-port', '0', ...extra],
    /Scheduler at: (\S+)\s+Dashboard at: (\S+)\/status/,
    nodeArgs,
  );
  return {
    child: s.child,
    address: s.match[1] as string,
    http: s.match[2] as string,
    stderr: s.stderr,
  };
}

/** SIGKILLs every child still running. */
export function killChildren(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

// However the benchmark ends (an uncaught error included, which skips `finally` blocks), its
// schedulers and workers end with it: a crashed chaos run once left five of them running.
process.on('exit', killChildren);
