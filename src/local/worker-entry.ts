/**
 * The entry of a pool worker (a Node worker_thread or a browser Web Worker). It exposes the
 * control API over comlink and hands the data plane (the task port and peer ports) to the
 * worker runtime. The same file runs in both: only how it reaches its parent differs.
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
import { clusterImporter } from '../worker/builtins.js';
import { RunningSlot } from '../worker/running-slot.js';
import { serializeError } from '../errors.js';

let runtime: WorkerRuntime | undefined;
let taskPort: MessagePort | undefined;

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
      options.moduleServer === undefined
        ? undefined
        : new FunctionCache(clusterImporter(options.moduleServer)),
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

async function main(): Promise<void> {
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
    /* @vite-ignore */ specifier
  )) as typeof import('node:worker_threads');
  if (threads.parentPort === null) throw new Error('pool-worker must run in a worker thread');
  Comlink.expose(
    api,
    nodeEndpoint(threads.parentPort as unknown as Parameters<typeof nodeEndpoint>[0]),
  );
}

void main();
