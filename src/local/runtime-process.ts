/**
 * The pool's Node runtime of worker processes (`scheduler: 'processes'`): each worker is a
 * child Node process running `process-worker`, reached through one pipe (the child's fd 3,
 * process-pipe.ts) on which the hub (process-hub.ts) carries the comlink control endpoint,
 * the task port and the links between workers. The pool, its adapter and the engine's driver
 * are the threads' own: only how a worker starts and how its ports travel differ.
 *
 * Why processes: threads of one process share one heap, and on 2 cores two threads parsing
 * CSV each run about 2x slower than one alone (allocation and garbage collection contend);
 * processes allocate and collect apart.
 *
 * Policies: children are ended when this process exits (and end themselves when their pipe
 * closes, however this process ends); idle children and their pipes are unref'd, so a script
 * that has finished computing exits by itself; a child that dies is reported with the error
 * it reported (message, stack, code), else its exit code or signal. When this module runs from
 * TypeScript sources (tests, `tsx`), children load the sources through tsx as well.
 */
import { spawn as spawnChild, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { BaskError, deserializeError } from '../errors.js';
import { PortHub, WorkerPipe } from './process-hub.js';
import type { PoolRuntime, PoolWorkerFactory, SpawnedWorker } from './runtime.js';

const fromSources = import.meta.url.endsWith('.ts');
const entry = fileURLToPath(
  new URL(fromSources ? './process-worker.ts' : './process-worker.js', import.meta.url),
);

/** Every channel of this process's worker processes. */
const hub = new PortHub();
const live = new Set<ChildProcess>();

function endChildren(): void {
  for (const child of live) child.kill('SIGKILL');
}

let exitHooked = false;

/**
 * Node options a child takes from its parent: only memory, stack and diagnostics settings.
 * Anything else may change what the child runs (`-e`, `--test`, `--watch`, an app's `--import`):
 * a child running its parent's script instead of the worker entry would start children of its
 * own.
 */
const INHERITED =
  /^--(max-old-space-size|max-semi-space-size|stack-size|expose-gc|enable-source-maps|conditions|unhandled-rejections)(=|$)|^-C$/;
/** Of those, the options whose value may come as the next argument. */
const WITH_VALUE = /^(--conditions|--unhandled-rejections|-C)$/;

/** The environment variable that marks a worker process (it never starts worker processes). */
const MARK_ENV = 'BASK_PROCESS_WORKER';

/** Node options for a child: see `INHERITED`; from sources, tsx's loader too. */
function childArgv(): string[] {
  const argv: string[] = [];
  const parent = process.execArgv;
  for (let i = 0; i < parent.length; i++) {
    const option = parent[i] as string;
    if (!INHERITED.test(option)) continue;
    argv.push(option);
    if (WITH_VALUE.test(option) && i + 1 < parent.length) argv.push(parent[++i] as string);
  }
  if (fromSources) argv.push('--import', import.meta.resolve('tsx'));
  return argv;
}

function spawn(name: string, create?: PoolWorkerFactory): SpawnedWorker {
  if (create !== undefined) {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      "Pool option 'worker' makes worker threads; a pool of worker processes runs bask's own worker entry (ship functions as task modules or source)",
    );
  }
  if (process.env[MARK_ENV] !== undefined) {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      "A worker process cannot start worker processes of its own: compute on 'threads' or 'sync' inside tasks",
    );
  }
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', endChildren);
  }
  const child = spawnChild(process.execPath, [...childArgv(), entry, name], {
    stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
    env: { ...process.env, [MARK_ENV]: name },
  });
  live.add(child);
  const listeners: ((error: Error | undefined) => void)[] = [];
  let exited = false;
  let spawnError: Error | undefined;
  const exit = (error: Error | undefined): void => {
    if (exited) return;
    exited = true;
    live.delete(child);
    for (const l of listeners) l(error);
  };
  const link = new WorkerPipe(hub, child.stdio[3] as Socket, () => {
    // The pipe ended: the child is gone or going; make sure of it.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  child.on('error', (error: Error) => {
    spawnError = error;
    link.pipe.close();
    if (child.pid === undefined) exit(error);
  });
  // 'close' comes after the pipe's last bytes were read: a fatal report has arrived by then.
  child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
    const reported = link.fatal === undefined ? undefined : deserializeError(link.fatal);
    exit(
      reported ??
        spawnError ??
        (code === 0
          ? undefined
          : new Error(`worker process exited with ${signal ?? `code ${code}`}`)),
    );
  });
  return {
    endpoint: link.endpoint,
    terminate: () => {
      if (!exited) child.kill('SIGKILL');
    },
    onExit: (listener) => {
      listeners.push(listener);
    },
    setActive: (active) => {
      if (active) child.ref();
      else child.unref();
      link.setActive(active);
    },
  };
}

/** Worker processes as a pool runtime (Node only). */
export const processRuntime: PoolRuntime = {
  kind: 'node',
  schedulerName: 'processes',
  cores: () => availableParallelism(),
  spawn,
  channel: () => {
    const { port1, port2 } = hub.channel();
    return { port1: port1, port2: port2 };
  },
};

/** Open ports of the process pool (tests: nothing leaks once workers are gone). */
export function openProcessPorts(): number {
  return hub.size;
}
