/**
 * The sync scheduler: the engine driven with one inline worker on the caller's thread. Tasks
 * run one at a time in the engine's priority order, in the caller's own call stack, so
 * breakpoints and the DevTools profiler see the user's functions. Async task functions are
 * awaited. The first failure ends the run: nothing else starts after it.
 *
 * To keep pages responsive, a long run yields to the event loop about every 50 ms.
 */
import { Engine } from '../engine/engine.js';
import type { Instruction } from '../engine/types.js';
import { abortedError, BaskError, taskFailed } from '../errors.js';
import { prepareGraph } from '../graph/prepare.js';
import { emit, now, type Callbacks } from '../hooks.js';
import type { RunRequest, Scheduler } from '../scheduler.js';
import { evaluate, isThenable } from '../worker/execute.js';

const WORKER = 'sync';
const CLIENT = 'sync-client';
const YIELD_EVERY_MS = 50;

type Execute = Extract<Instruction, { type: 'execute' }>;

/** The sync scheduler (Dask's `scheduler='sync'`). */
export class SyncScheduler implements Scheduler {
  readonly schedulerName = 'sync';

  async run(request: RunRequest): Promise<Map<string, unknown>> {
    const hooks = request.callbacks;
    const started = now();
    // The batch is handed to the engine and not kept: its arrays can go once the records exist.
    const { engine, instructions, ntasks } = submit(request);
    emit(hooks, 'start', { scheduler: 'sync', ntasks, keys: request.keys, time: started });
    try {
      const results = await runEngine(engine, instructions, request, hooks);
      emit(hooks, 'finish', { scheduler: 'sync', time: now(), elapsed: now() - started });
      return results;
    } catch (error) {
      emit(hooks, 'finish', { scheduler: 'sync', time: now(), elapsed: now() - started, error });
      throw error;
    }
  }
}

function submit(request: RunRequest): {
  engine: Engine;
  instructions: Instruction[];
  ntasks: number;
} {
  const batch = prepareGraph(request.graph, request.keys, { fuse: request.fuse ?? false });
  const engine = new Engine({ policy: { exact: true } });
  engine.handle({ type: 'worker-added', worker: WORKER, nthreads: 1 });
  const instructions = engine.handle({
    type: 'graph-submitted',
    client: CLIENT,
    batch,
    wanted: request.keys,
  });
  return { engine, instructions, ntasks: batch.keys.length };
}

async function runEngine(
  engine: Engine,
  first: Instruction[],
  request: RunRequest,
  hooks: readonly Callbacks[],
): Promise<Map<string, unknown>> {
  const store = new Map<string, unknown>();
  const results = new Map<string, unknown>();
  const timed = hooks.length > 0;
  const signal = request.signal;
  let instructions = first;
  let sliceStart = performance.now();
  for (;;) {
    const next = carryOut(instructions, store, results);
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
    instructions = engine.handle({
      type: 'task-finished',
      key: next.key,
      worker: WORKER,
      nbytes: 0,
      duration: (end - start) / 1000,
    });
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

/** Applies frees and reports; returns the one task to run next, if any. */
function carryOut(
  instructions: Instruction[],
  store: Map<string, unknown>,
  results: Map<string, unknown>,
): Execute | undefined {
  let next: Execute | undefined;
  for (let i = 0; i < instructions.length; i++) {
    const ins = instructions[i] as Instruction;
    switch (ins.type) {
      case 'execute':
        next = ins;
        break;
      case 'free-keys':
        for (const key of ins.keys) store.delete(key);
        break;
      case 'report':
        if (ins.state === 'memory') results.set(ins.key, store.get(ins.key));
        else if (ins.state === 'erred') throw ins.error;
        break;
      default:
        break;
    }
  }
  return next;
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
