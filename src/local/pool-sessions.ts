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
import { groupByHolder, type Driver, type Report as ReportInstruction } from '../engine/driver.js';
import { placeScatter } from '../engine/policy.js';
import { taskFailed } from '../errors.js';
import { CloneEncoder } from '../wire/clone.js';
import type { TaskResult, ToWorker } from '../wire/pool-protocol.js';
import { taskEventOf } from '../wire/task-events.js';
import { sizeof } from '../worker/sizeof.js';
import type { BackendEvents, Report } from './backend.js';
import type { WorkerHandle } from './worker-handle.js';

/** A pool's sessions' operations; one per pool, made by its first `openSession`. */
export class PoolSessions {
  private scatterCount = 0;

  constructor(
    /** The pool's driver: its engine, its queue, this drain's values. */
    private readonly driver: Driver<BaseEngine>,
    /** The pool's live workers. */
    private readonly workers: ReadonlyMap<string, WorkerHandle>,
    private readonly stats: { gathers: number },
  ) {}

  /** An engine report as a session's client reads it. */
  report(ins: ReportInstruction): Report {
    if (ins.state === 'erred') {
      const error = taskFailed(ins.blame, ins.error);
      return { key: ins.key, state: 'erred', error, blame: ins.blame };
    }
    if (ins.state === 'lost') return { key: ins.key, state: 'lost' };
    const sent = this.driver.sentValue(ins.key, ins.worker);
    return {
      key: ins.key,
      state: 'memory',
      nbytes: ins.nbytes,
      value: sent?.value,
      hasValue: sent !== undefined,
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
    const { groups } = groupByHolder(this.driver.engine.tasks, keys, (w) => this.workers.has(w));
    const out = new Map<string, unknown>();
    await Promise.all(
      [...groups].map(async ([worker, list]) => {
        const handle = this.workers.get(worker) as WorkerHandle;
        this.stats.gathers++;
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
    const { targets, next } = placeScatter(keys.length, handles, broadcast, this.scatterCount);
    this.scatterCount = next;
    keys.forEach((key, i) => {
      for (const h of targets[i] as readonly WorkerHandle[]) {
        put(h, [key], [values[i]]);
        this.driver.queue({
          type: 'data-scattered',
          client,
          key,
          worker: h.id,
          nbytes: sizeof(values[i]),
        });
      }
    });
    this.driver.submit([]);
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
