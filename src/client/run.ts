/**
 * A client as a scheduler (`get`/`compute(..., { scheduler: client })`, the default client):
 * a run sends its graph, waits for every key, fires the run's hooks, and releases its futures
 * however it ends. An aborted run cancels its futures and rejects with ERR_ABORTED.
 *
 * Task events come per submission that asked for progress; `RunWatches` routes them to the
 * hooks of the runs whose keys they are.
 */
import { isCollectedGraph } from '../delayed/node.js';
import { abortedError, BaskError, deserializeError } from '../errors.js';
import { emit, now, type Callbacks } from '../hooks.js';
import { SCHEDULER_FUSE } from '../graph/fuse.js';
import type { SubmitOptions } from '../local/backend.js';
import type { RunRequest } from '../scheduler.js';
import type { TaskEvent } from '../wire/protocol.js';
import type { Future } from './future.js';
import { liftGraph } from './handles.js';
import { checkShippable } from './shippable.js';
import { sendGraph, type ClientCore } from './send.js';
import { checkTaskOptions, taskOptionsOf } from './submission.js';

interface Watch {
  keys: ReadonlySet<string>;
  hooks: readonly Callbacks[];
}

/**
 * Runs whose hooks want task events, and the routing of those events, indexed by key: many
 * runs in flight at once (one per file, as `runSpreads` does) cost one lookup per event, not
 * one pass over every run.
 */
export class RunWatches {
  private readonly byKey = new Map<string, Watch[]>();

  /** Routes task events to the hooks of the runs whose keys they are. */
  taskEvents(events: readonly TaskEvent[]): void {
    for (const e of events) {
      const watching = this.byKey.get(e.key);
      if (watching === undefined) continue;
      for (const watch of watching) {
        emit(watch.hooks, 'taskStart', { key: e.key, worker: e.worker, time: e.start });
        const end = { key: e.key, worker: e.worker, start: e.start, end: e.end };
        const ended = { ...end, duration: e.end - e.start };
        emit(
          watch.hooks,
          'taskEnd',
          e.error !== undefined ? { ...ended, error: deserializeError(e.error) } : ended,
        );
      }
    }
  }

  add(watch: Watch): void {
    for (const key of watch.keys) {
      const watching = this.byKey.get(key);
      if (watching === undefined) this.byKey.set(key, [watch]);
      else if (!watching.includes(watch)) watching.push(watch);
    }
  }

  delete(watch: Watch): void {
    for (const key of watch.keys) {
      const watching = this.byKey.get(key)?.filter((w) => w !== watch);
      if (watching === undefined || watching.length === 0) this.byKey.delete(key);
      else this.byKey.set(key, watching);
    }
  }
}

/** Runs a request on the client's cluster; resolves to the values by key. */
export async function runOnClient(
  core: ClientCore,
  watches: RunWatches,
  request: RunRequest,
  cancel: (futures: readonly Future[]) => void,
): Promise<Map<string, unknown>> {
  // An infinite timeout is no limit (the pool accepts it; the protocol wants finite numbers).
  const timeout = Number.isFinite(request.timeout) ? request.timeout : undefined;
  const defaults = taskOptionsOf({ verify: request.verify, timeout });
  checkTaskOptions(defaults, 'compute(..., options)');
  const started = now();
  const hooks = request.callbacks;
  const lifted = liftGraph(
    request.graph,
    (k) => core.states.has(k),
    isCollectedGraph(request.graph),
  );
  checkShippable(lifted.view, request.keys);
  const options: SubmitOptions = {
    progress: hooks.length > 0,
    ...(Object.keys(defaults).length > 0 ? { defaults } : {}),
  };
  const { futures, batch, accepted } = sendGraph(
    core,
    lifted,
    request.keys,
    options,
    request.fuse === false ? false : SCHEDULER_FUSE,
  );
  const finish = (error?: unknown): void =>
    emit(hooks, 'finish', {
      scheduler: 'distributed',
      time: now(),
      elapsed: now() - started,
      ...(error !== undefined ? { error } : {}),
    });
  emit(hooks, 'start', {
    scheduler: 'distributed',
    ntasks: batch?.keys.length ?? 0,
    keys: request.keys,
    time: started,
  });
  const aborted = (): BaskError => abortedError(request.signal?.reason);
  const onAbort = (): void => cancel(futures);
  request.signal?.addEventListener('abort', onAbort, { once: true });
  const watch = { keys: new Set(batch?.keys ?? []), hooks };
  if (hooks.length > 0) watches.add(watch);
  try {
    await accepted;
    const values = await Promise.all(futures.map((f) => f.result()));
    if (request.signal?.aborted === true) throw aborted();
    finish();
    return new Map(request.keys.map((key, i) => [key, values[i]]));
  } catch (error) {
    const failure = request.signal?.aborted === true ? aborted() : error;
    finish(failure);
    throw failure;
  } finally {
    watches.delete(watch);
    request.signal?.removeEventListener('abort', onAbort);
    for (const f of futures) f.release();
  }
}
