/**
 * The sync scheduler: the engine driven with one inline worker on the caller's thread. Tasks
 * run one at a time in the engine's priority order, in the caller's own call stack, so
 * breakpoints and the DevTools profiler see the user's functions. Async task functions are
 * awaited. The first failure ends the run: nothing else starts after it.
 *
 * To keep pages responsive, a long run yields to the event loop about every 50 ms.
 */
import { Driver, type DriverAdapter, type Execute, type Report } from '../engine/driver.js';
import { Engine } from '../engine/engine.js';
import { abortedError, BaskError, taskFailed } from '../errors.js';
import { prepareGraph } from '../graph/prepare.js';
import { emit, now, type Callbacks } from '../hooks.js';
import type { RunRequest, Scheduler } from '../scheduler.js';
import { evaluate, isThenable } from '../worker/execute.js';

const WORKER = 'sync';
const CLIENT = 'sync-client';
const YIELD_EVERY_MS = 50;

/** The sync scheduler (Dask's `scheduler='sync'`). */
export class SyncScheduler implements Scheduler {
  readonly schedulerName = 'sync';

  async run(request: RunRequest): Promise<Map<string, unknown>> {
    const hooks = request.callbacks;
    const started = now();
    // The batch is handed to the engine and not kept: its arrays can go once the records exist.
    const { driver, inline, ntasks } = submit(request);
    emit(hooks, 'start', { scheduler: 'sync', ntasks, keys: request.keys, time: started });
    try {
      const results = await runInline(driver, inline, request, hooks);
      emit(hooks, 'finish', { scheduler: 'sync', time: now(), elapsed: now() - started });
      return results;
    } catch (error) {
      emit(hooks, 'finish', { scheduler: 'sync', time: now(), elapsed: now() - started, error });
      throw error;
    }
  }
}

/** The inline worker as the driver's adapter: one store, the next task, the results. */
class InlineWorker implements DriverAdapter {
  readonly store = new Map<string, unknown>();
  readonly results = new Map<string, unknown>();
  /** The task to run next (the engine, in exact mode, sends one at a time). */
  next: Execute | undefined = undefined;
  /** The first error the engine reported. */
  failure: { error: unknown } | undefined = undefined;

  execute(ins: Execute): void {
    this.next = ins;
  }

  freeKeys(ins: { keys: readonly string[] }): void {
    const keys = ins.keys;
    for (let i = 0; i < keys.length; i++) this.store.delete(keys[i] as string);
  }

  cancelTask(): void {
    // One task at a time, run to completion: there is never one to cancel.
  }

  report(ins: Report): void {
    if (ins.state === 'memory') this.results.set(ins.key, this.store.get(ins.key));
    else if (ins.state === 'erred') this.failure ??= { error: ins.error };
  }

  /** The next task, taken; throws the engine's reported error first. */
  take(): Execute | undefined {
    if (this.failure !== undefined) throw this.failure.error;
    const next = this.next;
    this.next = undefined;
    return next;
  }
}

function submit(request: RunRequest): {
  driver: Driver<Engine>;
  inline: InlineWorker;
  ntasks: number;
} {
  const batch = prepareGraph(request.graph, request.keys, { fuse: request.fuse ?? false });
  const inline = new InlineWorker();
  const driver = new Driver(new Engine({ policy: { exact: true } }), inline);
  driver.submit([{ type: 'worker-added', worker: WORKER, nthreads: 1 }]);
  driver.submit([{ type: 'graph-submitted', client: CLIENT, batch, wanted: request.keys }]);
  return { driver, inline, ntasks: batch.keys.length };
}

async function runInline(
  driver: Driver<Engine>,
  inline: InlineWorker,
  request: RunRequest,
  hooks: readonly Callbacks[],
): Promise<Map<string, unknown>> {
  const { store, results } = inline;
  const timed = hooks.length > 0;
  const signal = request.signal;
  let sliceStart = performance.now();
  // One completion event and its batch, refilled for every task: the engine reads an event
  // during its step and keeps nothing of it, and no drain is running here to queue it.
  const finished = {
    type: 'task-finished' as const,
    key: '',
    worker: WORKER,
    nbytes: 0,
    duration: 0,
  };
  const events = [finished];
  for (;;) {
    const next = inline.take();
    if (next === undefined) break;
    if (signal?.aborted === true) throw abortError(signal);
    const start = timed ? now() : 0;
    if (timed) emit(hooks, 'taskStart', { key: next.key, worker: WORKER, time: start });
    let value: unknown;
    try {
      value = evaluate(next.spec, store);
      if (isThenable(value)) value = await value;
    } catch (error) {
      const failure = taskFailed(next.key, error);
      if (timed) endHook(hooks, next.key, start, failure);
      throw failure;
    }
    store.set(next.key, value);
    const end = timed ? now() : 0;
    if (timed) endHook(hooks, next.key, start);
    finished.key = next.key;
    finished.duration = (end - start) / 1000;
    driver.submit(events);
    // Checked after every task: a run of slow tasks must not hold the page for long either.
    if (performance.now() - sliceStart > YIELD_EVERY_MS) {
      await yieldToEventLoop();
      sliceStart = performance.now();
    }
  }
  for (const key of request.keys) {
    if (!results.has(key))
      throw new BaskError('ERR_MISSING_KEY', `No result for '${key}'`, { key });
  }
  return results;
}

function endHook(hooks: readonly Callbacks[], key: string, start: number, error?: unknown): void {
  const end = now();
  const event = { key, worker: WORKER, start, end, duration: end - start };
  emit(hooks, 'taskEnd', error === undefined ? event : { ...event, error });
}

function abortError(signal: AbortSignal): BaskError {
  return abortedError(signal.reason);
}

/** Lets timers, rendering and input run between slices of a long synchronous run. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
