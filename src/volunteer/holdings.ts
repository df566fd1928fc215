/**
 * A volunteer's threads, as its router manages them: start, replace and stop them; what they
 * hold and how their data moves (inputs brought in, values served, spill to IndexedDB) is the
 * workers' shared held-data side (src/worker/held-data.ts), with the same memory thresholds
 * as `bask worker` processes (src/worker/memory-thresholds.ts; a tab measures held results
 * only, having no process memory to read).
 */
import type { TaskResult, WireTask } from '../wire/pool-protocol.js';
import { HeldData } from '../worker/held-data.js';
import { managedBudget, type MemoryFractions } from '../worker/memory-thresholds.js';
import type { Ledger } from '../worker/ledger.js';
import type { ThreadSide } from '../worker/scheduler-dispatch.js';
import type { DataPaths, Got } from './paths.js';
import { IndexedDbStore } from './spill.js';
import { ThreadPort } from '../local/thread-port.js';

export { refsIn } from '../worker/held-data.js';

/** The threads of one volunteer. */
export class Holdings implements ThreadSide {
  readonly threads = new Map<string, ThreadPort>();
  private readonly data: HeldData;

  constructor(
    memoryLimit: number,
    fractions: MemoryFractions,
    session: string,
    paths: () => DataPaths,
    private readonly onResults: (thread: string, results: TaskResult[]) => void,
    private readonly onFatal: (thread: ThreadPort) => void,
  ) {
    this.data = new HeldData({
      port: (id) => this.threads.get(id),
      fetchRemote: (from, keys, move) => paths().fetch(from, keys, move),
      // 0: spill everything no queued task needs (the tab's documented meaning).
      budget: () => (memoryLimit === 0 ? 0 : managedBudget(memoryLimit, fractions)),
      openStore: () => IndexedDbStore.open(session),
      putAhead: true,
    });
  }

  /** The ledger of held bytes (memory, spilled). */
  get ledger(): Ledger {
    return this.data.ledger;
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
    this.data.threadGone(id);
    return running;
  }

  /** A thread is stuck past its timeout: the page replaces it (as after a fatal error). */
  restart(worker: string): void {
    const thread = this.threads.get(worker);
    if (thread !== undefined) this.onFatal(thread);
  }

  /** Runs tasks on a thread, bringing in what they need first. */
  run(worker: string, tasks: WireTask[]): void {
    this.data.run(worker, tasks);
  }

  private results(thread: ThreadPort, results: TaskResult[]): void {
    this.onResults(thread.id, results);
    this.data.results(thread.id, results);
  }

  /** Drops keys a thread holds (the scheduler freed them). */
  free(worker: string, keys: string[]): void {
    this.data.free(worker, keys);
  }

  /** Drops queued tasks. */
  cancel(worker: string, keys: string[]): void {
    this.data.cancel(worker, keys);
  }

  /** Places data (scattered, or put by the scheduler). */
  put(worker: string, keys: string[], values: unknown[]): Promise<void> {
    return this.data.put(worker, keys, values);
  }

  /** Values a thread holds, from its memory or from IndexedDB, still encoded. */
  serve(worker: string, keys: string[], move: boolean[]): Promise<Got> {
    return this.data.serve(worker, keys, move);
  }

  /** Per-thread keys and tasks done, for heartbeats. */
  threadMetrics(): Record<string, { keys: number; tasksDone: number }> {
    const keys = this.data.ledger.countByThread();
    const out: Record<string, { keys: number; tasksDone: number }> = {};
    for (const [id, t] of this.threads)
      out[id] = { keys: keys.get(id) ?? 0, tasksDone: t.tasksDone };
    return out;
  }

  /** Stops every thread and deletes the spill database. */
  async close(): Promise<void> {
    for (const t of this.threads.values()) t.stop();
    this.threads.clear();
    await this.data.destroy();
  }
}
