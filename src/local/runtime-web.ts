/**
 * The pool's browser runtime: module Web Workers running `pool-worker`. The worker's URL is
 * written as `new URL('./pool-worker.js', import.meta.url)` inside `new Worker(...)`, the form
 * bundlers (Vite) recognise, so apps need no bundler configuration.
 */
import { BaskError } from '../errors.js';
import type { PoolRuntime, PoolWorker, PoolWorkerFactory, SpawnedWorker } from './runtime.js';

/** The app's worker, checked: it must be a Web Worker (made with `new Worker(...)`). */
function asWebWorker(made: PoolWorker): Worker {
  if (typeof Worker !== 'undefined' && made instanceof Worker) return made;
  throw new BaskError(
    'ERR_INVALID_ARGUMENT',
    "Pool option 'worker' must return a Web Worker: () => new Worker(new URL('./bask.worker.ts', import.meta.url), { type: 'module' })",
  );
}

function spawn(name: string, create?: PoolWorkerFactory): SpawnedWorker {
  const worker =
    create === undefined
      ? new Worker(new URL('./pool-worker.js', import.meta.url), { type: 'module', name })
      : asWebWorker(create(name));
  const listeners: ((error: Error | undefined) => void)[] = [];
  let exited = false;
  const exit = (error: Error | undefined): void => {
    if (exited) return;
    exited = true;
    worker.terminate();
    for (const l of listeners) l(error);
  };
  // An uncaught error in the worker's global scope leaves it in an unknown state: replace it.
  worker.addEventListener('error', (event: ErrorEvent) => {
    event.preventDefault();
    exit(new Error(event.message || 'worker failed to load or crashed'));
  });
  worker.addEventListener('messageerror', () =>
    exit(new Error('worker sent a message that could not be cloned')),
  );
  return {
    endpoint: worker,
    terminate: () => exit(undefined),
    onExit: (listener) => {
      listeners.push(listener);
    },
    setActive: () => undefined,
  };
}

/** Web Workers as a pool runtime. */
export const webRuntime: PoolRuntime = {
  kind: 'browser',
  cores: () => Math.max(1, globalThis.navigator?.hardwareConcurrency ?? 4),
  spawn,
  channel: () => {
    const { port1, port2 } = new MessageChannel();
    return { port1: port1, port2: port2 };
  },
};
