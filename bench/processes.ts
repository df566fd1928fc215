/**
 * Real `bask scheduler` and `bask worker` processes for the fault benchmarks (bench/faults.ts,
 * bench/chaos.ts), started from the built CLI on free ports. Every child is kept in `children`
 * so that the benchmark kills what it started (by pid) when it ends, however it ends.
 *
 * Their stderr is dropped unless BASK_BENCH_STDERR is set (then it goes to ours).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../bin/bask.js', import.meta.url));

/** Every process started here, running or not. */
export const children: ChildProcess[] = [];

/** Runs `bask ...args`; resolves once its stdout matches `ready` (rejects if it exits first). */
export function bask(
  args: string[],
  ready: RegExp,
): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    stdio: [
      'ignore',
      'pipe',
      process.env['BASK_BENCH_STDERR'] === undefined ? 'ignore' : 'inherit',
    ],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.on('exit', (code) => reject(new Error(`bask ${args[0]} exited (${code}) early: ${out}`)));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m !== null) resolve({ child, match: m });
    });
  });
}

/** A scheduler on free ports: its process, ws:// address and http:// base. */
export async function scheduler(
  extra: string[] = [],
): Promise<{ child: ChildProcess; address: string; http: string }> {
  const s = await bask(
    ['scheduler', '--port', '0', '--dashboard-port', '0', ...extra],
    /Scheduler at: (\S+)\s+Dashboard at: (\S+)\/status/,
  );
  return { child: s.child, address: s.match[1] as string, http: s.match[2] as string };
}

/** SIGKILLs every child still running. */
export function killChildren(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
