/**
 * The supervisor of `bask worker` (Dask's nanny): the parent process that forks the worker
 * processes (`--nworkers N`, `--tls-ca`, or a memory limit to enforce), ends them with itself,
 * and restarts one that asks for it past its memory terminate threshold (memory-monitor.ts:
 * a message on the fork's IPC channel). A restarted process joins as a new worker; the
 * scheduler recomputes its lost data from lineage.
 *
 * Children start with MALLOC_TRIM_THRESHOLD_=65536 (unless set), as Dask's nanny starts its
 * workers: glibc then gives freed memory back to the system instead of keeping large freed
 * buffers (spilled results) in its arenas, so the process memory measured falls when data goes.
 *
 * Policy: a child that asks is killed (SIGKILL: it may be too deep in memory to stop cleanly)
 * and forked again with the same arguments; a child that exits by itself is not restarted
 * (its exit code counts, as before). Spill directories of killed children are removed.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { untilSignal } from '../options.js';
import { RESTART_REQUEST } from './memory-monitor.js';
import { removeSpillDirs } from './spill-files.js';

/** Set in the environment of supervised children (they do not supervise again). */
export const SUPERVISED_ENV = 'BASK_WORKER_SUPERVISED';

/**
 * Runs one child per entry of `argsOf` (each `bask worker` arguments) in `env`, restarting a
 * child that asks for it; resolves with the exit code once they are all gone (0 after a signal).
 */
export async function supervise(
  argsOf: readonly string[][],
  env: NodeJS.ProcessEnv = process.env,
  log: (line: string) => void = (line) => console.error(line),
): Promise<number> {
  const cli = fileURLToPath(new URL('../../../bin/bask.js', import.meta.url));
  const children = new Set<ChildProcess>();
  let stopping = false;
  const codes: number[] = [];
  let settle: () => void = () => undefined;
  const allGone = new Promise<void>((resolve) => (settle = resolve));

  const start = (args: string[]): void => {
    const child = fork(cli, ['worker', ...args], {
      stdio: 'inherit',
      env: { MALLOC_TRIM_THRESHOLD_: '65536', ...env, [SUPERVISED_ENV]: '1' },
    });
    children.add(child);
    let restart = false;
    child.on('message', (message: unknown) => {
      if ((message as { type?: unknown } | null)?.type !== RESTART_REQUEST || stopping) return;
      restart = true;
      log(
        `bask worker: restarting process ${child.pid ?? '?'} (past its memory terminate threshold)`,
      );
      child.kill('SIGKILL');
    });
    child.on('exit', (code) => {
      children.delete(child);
      if (child.pid !== undefined) removeSpillDirs(child.pid);
      if (restart && !stopping) start(args);
      else codes.push(code ?? 1);
      if (children.size === 0) settle();
    });
  };
  for (const args of argsOf) start(args);

  const signalled = await Promise.race([untilSignal().then(() => true), allGone.then(() => false)]);
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  if (children.size > 0) await allGone;
  return signalled ? 0 : Math.max(0, ...codes);
}
