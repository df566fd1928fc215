/**
 * A pool worker's main: `startWorker` exposes the control API over comlink (to the pool on the
 * other side of a Node worker_thread or a browser Web Worker) and hands the data plane (the
 * task port and peer ports) to the worker runtime. The same code runs in both: only how it
 * reaches its parent differs. bask's own worker (pool-worker.ts) and an app's worker entry
 * (`bask/worker`, importing the app's task modules) both call it.
 *
 * An uncaught error or unhandled rejection ends the worker (as it does in Node): the pool
 * sees it die, replaces it and reschedules its work.
 */
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { WorkerApi, WorkerInitOptions, WorkerStats } from '../wire/pool-protocol.js';
import type { FromWorker, ToWorker } from '../wire/pool-protocol.js';
import { WorkerRuntime } from '../worker/runtime.js';
import { FunctionCache } from '../worker/functions.js';
import { clusterImporter } from '../worker/cluster-importer.js';
import { importByUrl } from '../worker/import-url.js';
import { RunningSlot } from '../worker/running-slot.js';
import { BaskError, serializeError } from '../errors.js';
import { isTaskModule, type AnyTaskModule } from '../graph/fnref.js';

/** Imports a module by id (URL) for this worker's tasks and types. */
type Importer = (url: string) => Promise<unknown>;

let runtime: WorkerRuntime | undefined;
let taskPort: MessagePort | undefined;
let importModule: Importer = importByUrl;

function requireRuntime(): WorkerRuntime {
  if (runtime === undefined) throw new Error('pool worker used before init()');
  return runtime;
}

const api: WorkerApi = {
  init(id: string, port: MessagePort, options: WorkerInitOptions = {}): void {
    taskPort = port;
    runtime = new WorkerRuntime(
      id,
      (message: FromWorker, transfer: Transferable[]) => {
        port.postMessage(message, transfer);
      },
      new FunctionCache(
        options.moduleServer === undefined
          ? importModule
          : clusterImporter(options.moduleServer, importModule),
      ),
      options.reportLimit ?? Infinity,
      options.runningSlot === undefined ? undefined : new RunningSlot(options.runningSlot),
    );
    const r = runtime;
    port.addEventListener('message', (event: MessageEvent) => r.receive(event.data as ToWorker));
    port.start();
  },
  connect(peer: string, port: MessagePort): void {
    requireRuntime().connectPeer(peer, port);
  },
  disconnect(peer: string): void {
    requireRuntime().disconnectPeer(peer);
  },
  ping(): string {
    return 'pong';
  },
  stats(): WorkerStats {
    return requireRuntime().stats();
  },
};

function reportFatal(error: unknown): void {
  try {
    taskPort?.postMessage({ type: 'fatal', error: serializeError(error) } satisfies FromWorker);
  } catch {
    // The parent learns of the death from the worker's exit anyway.
  }
}

let started = false;

/**
 * Serves this thread as a pool worker: call it once, at the top level of a worker entry, after
 * importing the task modules the worker runs (pass them, so that no bundler drops them as
 * unused). bask's default worker calls it with none.
 *
 * ```ts
 * // bask.worker.ts: the app's pool worker
 * import { startWorker } from 'bask/worker';
 * import { tasks } from './tasks';
 * startWorker(tasks);
 * // main.ts
 * const pool = new Pool({
 *   worker: () => new Worker(new URL('./bask.worker.ts', import.meta.url), { type: 'module' }),
 * });
 * ```
 */
export function startWorker(...modules: AnyTaskModule[]): void {
  modules.forEach((module, i) => {
    if (!isTaskModule(module)) {
      throw new BaskError(
        'ERR_INVALID_ARGUMENT',
        `startWorker(...modules): argument ${i + 1} is not a task module; pass what defineTasks(id, { ... }) returned`,
      );
    }
  });
  serveWorker(importByUrl);
}

/**
 * Serves this thread as a pool worker that imports modules with `importer` (bask's own worker
 * knows its built-in modules this way). Once per thread. `endpoint` is where the pool calls
 * (a worker process's pipe, process-child.ts); default: the thread's parent.
 */
export function serveWorker(importer: Importer, endpoint?: Comlink.Endpoint): void {
  if (started) {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      'startWorker() was called twice in one worker: call it once, in the worker entry',
    );
  }
  started = true;
  importModule = importer;
  if (endpoint !== undefined) Comlink.expose(api, endpoint);
  else void serve();
}

async function serve(): Promise<void> {
  const scope = globalThis as {
    WorkerGlobalScope?: unknown;
    addEventListener?: (t: string, l: (e: Event) => void) => void;
  };
  if (scope.WorkerGlobalScope !== undefined && typeof scope.addEventListener === 'function') {
    scope.addEventListener('unhandledrejection', (event: Event) => {
      reportFatal((event as PromiseRejectionEvent).reason);
      close();
    });
    scope.addEventListener('error', (event: Event) => {
      reportFatal((event as ErrorEvent).error ?? (event as ErrorEvent).message);
    });
    Comlink.expose(api);
    return;
  }
  const specifier = 'node:worker_threads';
  const threads = (await import(
    /* @vite-ignore */ /* webpackIgnore: true */ specifier
  )) as typeof import('node:worker_threads');
  if (threads.parentPort === null) {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      'startWorker() runs in a pool worker (a Web Worker or a worker_thread), not in the main thread',
    );
  }
  Comlink.expose(
    api,
    nodeEndpoint(threads.parentPort as unknown as Parameters<typeof nodeEndpoint>[0]),
  );
}
