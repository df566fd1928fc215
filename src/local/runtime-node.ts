/**
 * The pool's Node runtime: workers are worker_threads running `pool-worker`. Idle workers are
 * unref'd so that a script that has finished computing exits by itself. A command that knows
 * it will need workers may start them early (`prestartWorkers`); spawns take those first.
 * When this module runs from TypeScript sources (tests, `tsx`), workers load the sources
 * through tsx as well.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, Worker } from 'node:worker_threads';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { BaskError } from '../errors.js';
import type {
  MainPort,
  PoolRuntime,
  PoolWorker,
  PoolWorkerFactory,
  SpawnedWorker,
} from './runtime.js';

const fromSources = import.meta.url.endsWith('.ts');
const entry = new URL(fromSources ? './pool-worker.ts' : './pool-worker.js', import.meta.url);

/** From sources, a worker first registers tsx's loader, then imports the TypeScript entry. */
function bootstrap(): string {
  const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  return `import(${api}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
}

/** The app's worker, checked: it must be a `worker_threads` Worker. */
function asNodeWorker(made: PoolWorker): Worker {
  if (made instanceof Worker) return made;
  throw new BaskError(
    'ERR_INVALID_ARGUMENT',
    "Pool option 'worker' must return a worker_threads Worker: () => new Worker(new URL('./bask.worker.js', import.meta.url))",
  );
}

/** A worker thread as the pool sees it, and whether it has already exited. */
interface Thread {
  readonly spawned: SpawnedWorker;
  hasExited(): boolean;
}

function startThread(name: string, create?: PoolWorkerFactory): Thread {
  const worker =
    create !== undefined
      ? asNodeWorker(create(name))
      : fromSources
        ? new Worker(bootstrap(), { name, eval: true })
        : new Worker(entry, { name });
  let exited = false;
  const listeners: ((error: Error | undefined) => void)[] = [];
  let lastError: Error | undefined;
  worker.on('error', (error: Error) => {
    lastError = error;
  });
  worker.on('exit', (code: number) => {
    exited = true;
    const error =
      lastError ?? (code === 0 ? undefined : new Error(`worker exited with code ${code}`));
    for (const l of listeners) l(error);
  });
  const spawned: SpawnedWorker = {
    endpoint: nodeEndpoint(worker as unknown as Parameters<typeof nodeEndpoint>[0]),
    terminate: () => {
      if (!exited) void worker.terminate();
    },
    onExit: (listener) => {
      listeners.push(listener);
    },
    setActive: (active) => {
      if (active) worker.ref();
      else worker.unref();
    },
  };
  return { spawned, hasExited: () => exited };
}

/** bask's own workers started ahead of the pool's demand (see `prestartWorkers`), oldest first. */
const prestarted: Thread[] = [];

/**
 * Starts `count` of bask's own pool workers now, for the next spawns of the default worker to
 * take instead of starting theirs: a short-lived process that knows it will compute on threads
 * (`bask spreads`) lets them boot while its main thread loads the library. Until taken
 * they are unreferenced, so they never keep a process alive; one that dies before it is taken
 * is skipped.
 */
export function prestartWorkers(count: number): void {
  for (let i = 0; i < count; i++) {
    const thread = startThread(`prestarted-${i}`);
    thread.spawned.setActive(false);
    prestarted.push(thread);
  }
}

/** How many prestarted workers wait to be taken (tests and diagnostics). */
export function prestartedCount(): number {
  return prestarted.length;
}

function spawn(name: string, create?: PoolWorkerFactory): SpawnedWorker {
  if (create === undefined) {
    for (let thread = prestarted.shift(); thread !== undefined; thread = prestarted.shift()) {
      if (thread.hasExited()) continue;
      // As a worker fresh from `new Worker`: referenced until the pool says it is idle.
      thread.spawned.setActive(true);
      return thread.spawned;
    }
  }
  return startThread(name, create).spawned;
}

/** worker_threads as a pool runtime. */
export const nodeRuntime: PoolRuntime = {
  kind: 'node',
  cores: () => availableParallelism(),
  spawn,
  channel: () => {
    const { port1, port2 } = new MessageChannel();
    return { port1: port1 as unknown as MainPort, port2: port2 as unknown as MainPort };
  },
};
