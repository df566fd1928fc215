/**
 * What the threads of one worker (a volunteer tab or a `bask worker` process) hold, and how
 * their data moves: running batches with their inputs brought in first (from another process,
 * or back from the spill store), serving values to whoever asks (scheduler gathers, peer and
 * relay fetches), and keeping the ledger of held bytes (for spill) in step with results, puts
 * and frees. The owner keeps its threads (start, replace, stop); this keeps their data.
 *
 * Invariants: a key a queued task needs is pinned (never spilled) until that task's result
 * comes back or its thread dies; a value taken away (move) or freed leaves the ledger and the
 * spill store.
 */
import { MARK } from '../wire/clone.js';
import { fetchesOf, type TaskResult, type ToWorker, type WireTask } from '../wire/pool-protocol.js';
import { addToGroup, type FetchGroup } from './fetch-groups.js';
import { Ledger } from './ledger.js';
import { movesAll, type Got } from './scheduler-dispatch.js';
import { sizeof } from './sizeof.js';
import { Spiller, type SpillStore, type SpillThread } from './spiller.js';

/** A thread's task port as this needs it (src/local/thread-port.ts is one). */
export interface DataPort extends SpillThread {
  /** Sends after everything queued; `before` resolves to messages (puts) sent just ahead. */
  enqueue(message: ToWorker, before?: () => Promise<ToWorker[]>): void;
  /** Resolves once the thread read what was posted (and, with `queued`, queued) before. */
  received(queued: boolean): Promise<void>;
}

/** Fetches values held by a thread of another worker (peer, relay). */
export type FetchRemote = (from: string, keys: string[], move: boolean[]) => Promise<Got>;

/** How a {@link HeldData} reaches its threads, the other workers and its spill store. */
export interface HeldDataOptions {
  /** A live thread of this worker by id. */
  readonly port: (id: string) => DataPort | undefined;
  readonly fetchRemote: FetchRemote;
  /** Bytes of held results allowed in memory now. */
  readonly budget: () => number;
  /** Opens the spill store (on the first spill). */
  readonly openStore: () => Promise<SpillStore>;
  /**
   * Puts from the scheduler go straight to the thread (true: a put queued behind a batch that
   * fetches could deadlock two tabs fetching from each other) or behind what is queued.
   */
  readonly putAhead: boolean;
  /**
   * While the worker is paused (past its memory pause threshold): a promise that settles when
   * it resumes. Batches sent meanwhile wait for it in their thread's queue (running tasks
   * finish; queued ones do not start), as a paused Dask worker holds its ready tasks.
   */
  readonly paused?: () => Promise<void> | undefined;
}

interface Queued {
  readonly thread: string;
  readonly needs: string[];
  readonly keeps: boolean;
}

/** The held data of one worker's threads. */
export class HeldData {
  readonly ledger = new Ledger();
  readonly spiller: Spiller;
  private readonly queued = new Map<string, Queued>();

  constructor(private readonly options: HeldDataOptions) {
    this.spiller = new Spiller(this.ledger, options.budget, options.openStore, options.port);
  }

  /** A thread died: its queued tasks and data are gone. */
  threadGone(id: string): void {
    for (const [key, q] of [...this.queued]) {
      if (q.thread !== id) continue;
      this.queued.delete(key);
      this.ledger.unpin(q.needs);
    }
    this.spiller.forget(
      id,
      this.ledger.ofThread(id).map((h) => h.key),
    );
  }

  /** Runs tasks on a thread, bringing in what they need first. */
  run(worker: string, tasks: WireTask[]): void {
    const thread = this.options.port(worker);
    if (thread === undefined) return;
    const remote = new Map<string, FetchGroup>();
    const restore = new Set<string>();
    const fromSpill: { from: string; key: string; move: boolean }[] = [];
    for (const task of tasks) {
      const needs = task.marked ? refsIn(task.args) : [];
      for (const f of fetchesOf(task)) {
        needs.push(f.key);
        if (this.options.port(f.from) !== undefined) {
          if (this.spiller.isSpilled(f.from, f.key)) fromSpill.push(f);
          else this.copiedLocally(f.from, worker, f.key, f.move);
          continue;
        }
        addToGroup(remote, f);
      }
      for (const key of needs) if (this.spiller.isSpilled(worker, key)) restore.add(key);
      this.ledger.pin(needs);
      this.queued.set(task.key, { thread: worker, needs, keeps: task.report !== 2 });
    }
    const batch: ToWorker = { type: 'batch', run: tasks, free: [], cancel: [], measure: false };
    const paused = this.options.paused?.();
    if (remote.size === 0 && restore.size === 0 && fromSpill.length === 0) {
      thread.enqueue(batch, paused === undefined ? undefined : () => paused.then(() => []));
      return;
    }
    thread.enqueue(batch, async () => {
      await paused;
      const puts = await Promise.all([
        ...[...remote].map(([from, g]) => this.options.fetchRemote(from, g.keys, g.move)),
        ...fromSpill.map((f) => this.fromSpill(f.from, f.key, f.move)),
      ]);
      const groups = [...[...remote].map(([, g]) => g.keys), ...fromSpill.map((f) => [f.key])];
      const ahead: ToWorker[] = await this.spiller.restore(thread, restore);
      puts.forEach((got, i) => {
        const put = this.putFor(worker, groups[i] ?? [], got);
        if (put !== undefined) ahead.push(put);
      });
      return ahead;
    });
  }

  /** Threads of one worker fetch from each other themselves: keep the ledger in step. */
  private copiedLocally(from: string, to: string, key: string, move: boolean): void {
    const source = this.ledger.get(from, key);
    if (source === undefined || this.ledger.get(to, key) !== undefined) return;
    this.ledger.add(to, key, source.nbytes);
    if (move) this.ledger.remove(from, key);
  }

  private async fromSpill(from: string, key: string, move: boolean): Promise<Got> {
    const got = await this.spiller.read(from, [key], !move);
    return got.keys.length === 1
      ? { values: got.values, missing: [] }
      : { values: [undefined], missing: [key] };
  }

  private putFor(worker: string, keys: string[], got: Got): ToWorker | undefined {
    const missing = new Set(got.missing);
    const found = keys.filter((k) => !missing.has(k));
    if (found.length === 0) return undefined;
    const values = found.map((k) => got.values[keys.indexOf(k)]);
    this.spiller.held(
      worker,
      found,
      values.map((v) => sizeof(v)),
    );
    return { type: 'put', keys: found, values, marked: true };
  }

  /** Results came back from a thread: unpin their inputs, count what the thread keeps. */
  results(thread: string, results: readonly TaskResult[]): void {
    const kept: string[] = [];
    const sizes: number[] = [];
    for (const r of results) {
      const q = this.queued.get(r.key);
      if (q !== undefined) {
        this.queued.delete(r.key);
        this.ledger.unpin(q.needs);
      }
      if (r.error === undefined && r.missing === undefined && q?.keeps !== false) {
        kept.push(r.key);
        sizes.push(r.nbytes ?? 0);
      }
    }
    this.spiller.held(thread, kept, sizes);
  }

  /** Drops keys a thread holds (the scheduler freed them). */
  free(worker: string, keys: string[]): void {
    this.options
      .port(worker)
      ?.enqueue({ type: 'batch', run: [], free: keys, cancel: [], measure: false });
    this.spiller.forget(worker, keys);
  }

  /** Drops queued tasks. */
  cancel(worker: string, keys: string[]): void {
    this.options
      .port(worker)
      ?.enqueue({ type: 'batch', run: [], free: [], cancel: keys, measure: false });
    for (const key of keys) {
      const q = this.queued.get(key);
      if (q === undefined) continue;
      this.queued.delete(key);
      this.ledger.unpin(q.needs);
    }
  }

  /** Places data (scattered, or put by the scheduler); resolves once the thread holds it. */
  async put(worker: string, keys: string[], values: unknown[]): Promise<void> {
    const thread = this.options.port(worker);
    if (thread === undefined) return;
    const sizes = values.map((v) => sizeof(v));
    const put: ToWorker = { type: 'put', keys, values, marked: true };
    if (this.options.putAhead) thread.post(put);
    else thread.enqueue(put);
    this.spiller.held(worker, keys, sizes);
    await thread.received(!this.options.putAhead);
  }

  /** Values a thread holds, from its memory or from the spill store, still encoded. */
  async serve(worker: string, keys: string[], move: boolean[]): Promise<Got> {
    const thread = this.options.port(worker);
    if (thread === undefined) return { values: keys.map(() => undefined), missing: keys };
    const moving = movesAll(move);
    const inMemory = keys.filter((k) => !this.spiller.isSpilled(worker, k));
    const [fromThread, fromDisk] = await Promise.all([
      inMemory.length > 0 ? thread.gather(inMemory, moving) : { values: [], missing: [] },
      this.spiller.read(worker, keys, !moving),
    ]);
    if (moving) this.spiller.forget(worker, inMemory);
    const values: unknown[] = [];
    const missing: string[] = [];
    const lost = new Set(fromThread.missing);
    for (const key of keys) {
      const disk = fromDisk.keys.indexOf(key);
      const mem = inMemory.indexOf(key);
      if (disk >= 0) values.push(fromDisk.values[disk]);
      else if (mem >= 0 && !lost.has(key)) values.push(fromThread.values[mem]);
      else {
        values.push(undefined);
        missing.push(key);
      }
    }
    return { values, missing };
  }

  /** Deletes the spill store. */
  destroy(): Promise<void> {
    return this.spiller.destroy().catch(() => undefined);
  }
}

/** Keys of the refs inside encoded task args (markers), nested tasks included. */
export function refsIn(args: readonly unknown[]): string[] {
  const out: string[] = [];
  const stack: unknown[] = [...args];
  while (stack.length > 0) {
    const value = stack.pop();
    if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) continue;
    if (Array.isArray(value)) {
      for (const v of value) if (v !== null && typeof v === 'object') stack.push(v);
      continue;
    }
    if (Object.getPrototypeOf(value) !== Object.prototype) continue;
    const record = value as Record<string, unknown>;
    if (record[MARK] === 'ref' && typeof record['key'] === 'string') {
      out.push(record['key']);
      continue;
    }
    for (const v of Object.values(record)) if (v !== null && typeof v === 'object') stack.push(v);
  }
  return out;
}
