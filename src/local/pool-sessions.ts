/**
 * The heavier half of a pool's sessions (the futures API of `Client.local`): reports as a
 * Client reads them, task streams for its hooks, gathering values from the workers that hold
 * them, and scattering values onto workers. `Pool.openSession` loads this module, so a page
 * that only calls `compute` never does; every operation here belongs to a session opened first.
 *
 * Invariants: a gather never rejects (a holder that died meanwhile just leaves its keys out);
 * a scattered value is in its worker's store (put before the next batch) before the engine
 * hears of it.
 */
import type { BaseEngine } from '../engine/base.js';
import type { EngineEvent, Instruction } from '../engine/types.js';
import { taskFailed } from '../errors.js';
import { CloneEncoder } from '../wire/clone.js';
import type { TaskResult, ToWorker } from '../wire/pool-protocol.js';
import { taskEventOf } from '../wire/task-events.js';
import { sizeof } from '../worker/sizeof.js';
import type { BackendEvents, Report } from './backend.js';
import type { WorkerHandle } from './worker-handle.js';

type ReportInstruction = Extract<Instruction, { type: 'report' }>;

/** What sessions reach of their pool (given by the pool, which owns all of it). */
export interface SessionPool {
  readonly engine: BaseEngine;
  readonly workers: ReadonlyMap<string, WorkerHandle>;
  /** Values that came with this step's completions. */
  readonly values: ReadonlyMap<string, unknown>;
  readonly stats: { gathers: number };
  /** Queues events for the engine; `submit` runs it. */
  queue(event: EngineEvent): void;
  submit(events: EngineEvent[]): void;
}

/** A pool's sessions' operations; one per pool, made by its first `openSession`. */
export class PoolSessions {
  private scatterCount = 0;

  constructor(private readonly pool: SessionPool) {}

  /** An engine report as a session's client reads it. */
  report(ins: ReportInstruction): Report {
    if (ins.state === 'erred') {
      const error = taskFailed(ins.blame, ins.error);
      return { key: ins.key, state: 'erred', error, blame: ins.blame };
    }
    if (ins.state === 'lost') return { key: ins.key, state: 'lost' };
    const { values } = this.pool;
    const hasValue = values.has(ins.key);
    return {
      key: ins.key,
      state: 'memory',
      nbytes: ins.nbytes,
      value: values.get(ins.key),
      hasValue,
    };
  }

  /** Tells every session's task stream what `worker` ran. */
  taskEvents(
    sessions: Iterable<BackendEvents>,
    worker: string,
    results: readonly TaskResult[],
  ): void {
    const events = results
      .filter((r) => r.missing === undefined)
      .map((r) => taskEventOf(worker, r));
    for (const session of sessions) session.taskEvents?.(events);
  }

  /** Values of keys in memory, gathered from the workers holding them. */
  async gather(keys: readonly string[]): Promise<Map<string, unknown>> {
    const byWorker = new Map<WorkerHandle, string[]>();
    for (const key of keys) {
      const holder = this.pool.engine.tasks.get(key)?.holders?.[0];
      const handle = holder === undefined ? undefined : this.pool.workers.get(holder.id);
      if (handle === undefined) continue;
      const list = byWorker.get(handle);
      if (list === undefined) byWorker.set(handle, [key]);
      else list.push(key);
    }
    const out = new Map<string, unknown>();
    await Promise.all(
      [...byWorker].map(async ([handle, list]) => {
        this.pool.stats.gathers++;
        const values = await handle.gather(list, false).catch(() => new Map<string, unknown>());
        for (const [k, v] of values) out.set(k, v);
      }),
    );
    return out;
  }

  /** Places values on `handles` (round robin, or every one when broadcasting) for `client`. */
  scatter(
    client: string,
    handles: readonly WorkerHandle[],
    keys: readonly string[],
    values: readonly unknown[],
    broadcast: boolean,
  ): void {
    keys.forEach((key, i) => {
      const targets = broadcast
        ? handles
        : [handles[this.scatterCount++ % handles.length] as WorkerHandle];
      for (const h of targets) {
        put(h, [key], [values[i]]);
        this.pool.queue({
          type: 'data-scattered',
          client,
          key,
          worker: h.id,
          nbytes: sizeof(values[i]),
        });
      }
    });
    this.pool.submit([]);
  }
}

/** Places values in a worker's store, after the tasks already batched for it. */
function put(handle: WorkerHandle, keys: string[], values: unknown[]): void {
  handle.flush(false);
  const encoder = new CloneEncoder(false);
  const encoded = values.map((v) => encoder.encode(v));
  handle.taskPort.postMessage({
    type: 'put',
    keys,
    values: encoded,
    marked: encoder.marked,
  } satisfies ToWorker);
}
