/**
 * The heavier half of a pool's sessions (the futures API of `Client.local`): reports as a
 * Client reads them, task streams for its hooks, gathering values from the workers that hold
 * them, and scattering values onto workers. `Pool.openSession` loads this module, so a page
 * that only calls `compute` never does; every operation here belongs to a session opened first.
 *
 * Invariants: a gather never rejects (a holder that died meanwhile just leaves its keys out);
 * the engine hears of a scattered value only once its worker has stored it (so no task asks
 * for it too early), and a session's later events reach the engine after it, in order.
 */
import type { BaseEngine } from '../engine/base.js';
import {
  groupByHolder,
  holdersOf,
  type Driver,
  type Report as ReportInstruction,
} from '../engine/driver.js';
import { matchesWorker, placeScatter } from '../engine/policy.js';
import type { EngineEvent } from '../engine/types.js';
import { BaskError, taskFailed } from '../errors.js';
import { CloneEncoder } from '../wire/clone.js';
import type { TaskResult, ToWorker } from '../wire/pool-protocol.js';
import { taskEventOf } from '../wire/task-events.js';
import { sizeof } from '../worker/sizeof.js';
import type { BackendEvents, Report } from './backend.js';
import type { WorkerHandle } from './worker-handle.js';

/** Events held back: a scatter's (undefined until its holders have the values), or a session's. */
interface HeldEvents {
  events: EngineEvent[] | undefined;
  /** Settles the sender's promise once the events went to the engine (or it refused them). */
  settle?: (error?: Error) => void;
}

/** A pool's sessions' operations; one per pool, made by its first `openSession`. */
export class PoolSessions {
  private scatterCount = 0;
  /** Scatters in flight (no events yet) and the session events sent after them, in order. */
  private readonly held: HeldEvents[] = [];

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

  /** The workers holding each key the engine knows. */
  whoHas(keys: readonly string[]): Map<string, string[]> {
    return holdersOf(this.driver.engine.tasks, keys);
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

  /**
   * Places values for `client` on the pool's workers (those named in `workers`, when given):
   * round robin, or every one when broadcasting.
   * Resolves once each holder has them; only then does the engine hear of them, and session
   * events sent meanwhile wait behind (`event`).
   */
  async scatter(
    client: string,
    keys: readonly string[],
    values: readonly unknown[],
    options: { workers?: readonly string[]; broadcast?: boolean },
  ): Promise<void> {
    const named = options.workers;
    const handles = [...this.workers.values()].filter(
      (h) => named === undefined || named.some((w) => matchesWorker(w, h.id)),
    );
    if (handles.length === 0) {
      const which = named === undefined ? '' : ` named ${named.join(', ')}`;
      throw new BaskError(
        'ERR_NO_WORKERS',
        `No pool workers${which} to scatter to (the pool has ${[...this.workers.keys()].join(', ') || 'none'})`,
      );
    }
    const broadcast = options.broadcast === true;
    const { targets, next } = placeScatter(keys.length, handles, broadcast, this.scatterCount);
    this.scatterCount = next;
    const slot: HeldEvents = { events: undefined };
    this.held.push(slot);
    keys.forEach((key, i) => {
      for (const h of targets[i] as readonly WorkerHandle[]) put(h, [key], [values[i]]);
    });
    // A worker reads its task port in order: a round trip after the puts means it holds them.
    // (Another worker asks it for them over their peer port, which it may read first.)
    const holders = new Set(targets.flat());
    await Promise.all([...holders].map((h) => h.gather([], false).catch(() => undefined)));
    const events: EngineEvent[] = [];
    keys.forEach((key, i) => {
      for (const h of targets[i] as readonly WorkerHandle[]) {
        // A worker that died meanwhile is gone from the engine, and its values with it.
        if (this.workers.get(h.id) !== h) continue;
        events.push({
          type: 'data-scattered',
          client,
          key,
          worker: h.id,
          nbytes: sizeof(values[i]),
        });
      }
    });
    // Scatters sent before this one reach the engine first.
    const done = settled(slot);
    slot.events = events;
    this.submitReady();
    return done;
  }

  /**
   * A session's request: to the engine now, or after the scatters in flight before it.
   * Resolves once the engine took it; rejects with the engine's refusal.
   */
  event(event: EngineEvent): Promise<void> {
    if (this.held.length > 0) {
      const slot: HeldEvents = { events: [event] };
      this.held.push(slot);
      return settled(slot);
    }
    try {
      this.driver.submit([event]);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Hands the engine the held events that no scatter in flight holds back any more. */
  private submitReady(): void {
    for (let head = this.held[0]; head?.events !== undefined; head = this.held[0]) {
      this.held.shift();
      try {
        this.driver.submit(head.events);
        head.settle?.();
      } catch (error) {
        head.settle?.(error instanceof Error ? error : new Error(String(error)));
      }
    }
  }
}

/** A promise settled when `slot` is handed to the engine (rejected with its refusal). */
function settled(slot: HeldEvents): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    slot.settle = (error) => (error === undefined ? resolve() : reject(error));
  });
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
