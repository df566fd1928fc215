/**
 * A volunteer's threads and what they hold, as its router manages them: running batches with
 * their inputs brought in first (from another process, or back from IndexedDB), serving
 * values to whoever asks (scheduler gathers, relay fetches, WebRTC peers), and keeping the
 * ledger of held bytes (for spill) in step with results, puts and frees.
 *
 * Invariants: a key a queued task needs is pinned (never spilled) until that task's result
 * comes back or its thread dies; a value taken away (move) or freed leaves the ledger and
 * IndexedDB.
 */
import { MARK } from '../wire/clone.js';
import type { TaskResult, ToWorker, WireTask } from '../wire/pool-protocol.js';
import { addToGroup, type FetchGroup } from '../worker/fetch-groups.js';
import { movesAll, type ThreadSide } from '../worker/scheduler-dispatch.js';
import { sizeof } from '../worker/sizeof.js';
import { Ledger } from './ledger.js';
import type { DataPaths, Got } from './paths.js';
import { Spiller } from './spill.js';
import { ThreadPort } from '../local/thread-port.js';

interface Queued {
  readonly thread: string;
  readonly needs: string[];
  readonly keeps: boolean;
}

/** The threads of one volunteer. */
export class Holdings implements ThreadSide {
  readonly threads = new Map<string, ThreadPort>();
  readonly ledger = new Ledger();
  private readonly spiller: Spiller;
  private readonly queued = new Map<string, Queued>();

  constructor(
    memoryLimit: number,
    session: string,
    private readonly paths: () => DataPaths,
    private readonly onResults: (thread: string, results: TaskResult[]) => void,
    private readonly onFatal: (thread: ThreadPort) => void,
  ) {
    this.spiller = new Spiller(this.ledger, memoryLimit, session, (id) => this.threads.get(id));
  }

  /** A thread came up (first start, or replacing one that died). */
  addThread(id: string, generation: number, port: MessagePort): void {
    this.threads.get(id)?.stop();
    this.threads.set(
      id,
      new ThreadPort(id, port, {
        onResults: (t, r) => this.results(t, r),
        onFatal: (t) => this.onFatal(t),
        // Values put in are the router's own copies: give their buffers away (no copy).
        transferPuts: true,
        generation,
      }),
    );
  }

  /** A thread died: its tasks and data are gone; returns the task it was running. */
  removeThread(id: string): string | undefined {
    const thread = this.threads.get(id);
    if (thread === undefined) return undefined;
    const running = thread.running();
    thread.stop();
    this.threads.delete(id);
    for (const [key, q] of [...this.queued]) {
      if (q.thread !== id) continue;
      this.queued.delete(key);
      this.ledger.unpin(q.needs);
    }
    this.spiller.forget(
      id,
      this.ledger.ofThread(id).map((h) => h.key),
    );
    return running;
  }

  /** A thread is stuck past its timeout: the page replaces it (as after a fatal error). */
  restart(worker: string): void {
    const thread = this.threads.get(worker);
    if (thread !== undefined) this.onFatal(thread);
  }

  /** Runs tasks on a thread, bringing in what they need first. */
  run(worker: string, tasks: WireTask[]): void {
    const thread = this.threads.get(worker);
    if (thread === undefined) return;
    const remote = new Map<string, FetchGroup>();
    const restore = new Set<string>();
    const fromSpill: { from: string; key: string; move: boolean }[] = [];
    for (const task of tasks) {
      const needs = task.marked ? refsIn(task.args) : [];
      for (const f of task.fetch) {
        needs.push(f.key);
        if (this.threads.has(f.from)) {
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
    if (remote.size === 0 && restore.size === 0 && fromSpill.length === 0) {
      thread.enqueue(batch);
      return;
    }
    thread.enqueue(batch, async () => {
      const puts = await Promise.all([
        ...[...remote].map(([from, g]) => this.paths().fetch(from, g.keys, g.move)),
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

  /** Threads of this volunteer fetch from each other themselves: keep the ledger in step. */
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

  private results(thread: ThreadPort, results: TaskResult[]): void {
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
    this.onResults(thread.id, results);
    this.spiller.held(thread.id, kept, sizes);
  }

  /** Drops keys a thread holds (the scheduler freed them). */
  free(worker: string, keys: string[]): void {
    this.threads
      .get(worker)
      ?.enqueue({ type: 'batch', run: [], free: keys, cancel: [], measure: false });
    this.spiller.forget(worker, keys);
  }

  /** Drops queued tasks. */
  cancel(worker: string, keys: string[]): void {
    this.threads
      .get(worker)
      ?.enqueue({ type: 'batch', run: [], free: [], cancel: keys, measure: false });
    for (const key of keys) {
      const q = this.queued.get(key);
      if (q === undefined) continue;
      this.queued.delete(key);
      this.ledger.unpin(q.needs);
    }
  }

  /** Places data (scattered, or put by the scheduler). */
  async put(worker: string, keys: string[], values: unknown[]): Promise<void> {
    const thread = this.threads.get(worker);
    if (thread === undefined) return;
    const sizes = values.map((v) => sizeof(v));
    // Straight to the thread: a put queued behind a batch that fetches could deadlock two
    // volunteers fetching from each other.
    thread.post({ type: 'put', keys, values, marked: true });
    this.spiller.held(worker, keys, sizes);
    await thread.received(false);
  }

  /** Values a thread holds, from its memory or from IndexedDB, still encoded. */
  async serve(worker: string, keys: string[], move: boolean[]): Promise<Got> {
    const thread = this.threads.get(worker);
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

  /** Per-thread keys and tasks done, for heartbeats. */
  threadMetrics(): Record<string, { keys: number; tasksDone: number }> {
    const keys = this.ledger.countByThread();
    const out: Record<string, { keys: number; tasksDone: number }> = {};
    for (const [id, t] of this.threads)
      out[id] = { keys: keys.get(id) ?? 0, tasksDone: t.tasksDone };
    return out;
  }

  /** Stops every thread and deletes the spill database. */
  async close(): Promise<void> {
    for (const t of this.threads.values()) t.stop();
    this.threads.clear();
    await this.spiller.destroy().catch(() => undefined);
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
