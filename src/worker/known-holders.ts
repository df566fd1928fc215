/**
 * The threads of other worker processes this side has been told to fetch from, and where
 * they are (process id, peer server). Filled only by the runs that need them (a `run`'s
 * `holders`): a worker side never holds the whole cluster's table, so joins and leaves cost
 * it nothing. Shared by `bask worker` processes (server/worker/peers.ts) and volunteer
 * routers (volunteer/paths.ts).
 *
 * Policy: the latest word wins (a thread id that comes back in another process, a rejoin,
 * replaces the old entry); at most `limit` threads are kept, the least recently told
 * forgotten first. When no kept thread names a process any more, `processGone` is called
 * so its connection can close.
 */
import type { WorkerInfo } from '../wire/protocol.js';

/** Keeps the table of holders of other processes. */
export class KnownHolders {
  private readonly threads = new Map<string, WorkerInfo>();
  /** How many kept threads name each process. */
  private readonly perProcess = new Map<string, number>();

  constructor(
    /** This side's own process id (its threads are never kept). */
    private readonly self: () => string,
    /** No kept thread names `process` any more. */
    private readonly processGone: (process: string) => void,
    private readonly limit = 65_536,
  ) {}

  /** Notes where each of `holders` is. */
  learn(holders: readonly WorkerInfo[]): void {
    const self = this.self();
    for (const h of holders) {
      if (h.process === self) continue;
      const old = this.threads.get(h.id);
      // Deleted and set again: the most recently told is last in the map's order.
      this.threads.delete(h.id);
      this.threads.set(h.id, h);
      if (old?.process === h.process) continue;
      this.perProcess.set(h.process, (this.perProcess.get(h.process) ?? 0) + 1);
      if (old !== undefined) this.release(old.process);
    }
    for (const [id, oldest] of this.threads) {
      if (this.threads.size <= this.limit) break;
      this.threads.delete(id);
      this.release(oldest.process);
    }
  }

  /** Where `thread` is, when this side was told. */
  get(thread: string): WorkerInfo | undefined {
    return this.threads.get(thread);
  }

  /** How many other processes this side knows of. */
  get processes(): number {
    return this.perProcess.size;
  }

  private release(process: string): void {
    const left = (this.perProcess.get(process) ?? 0) - 1;
    if (left > 0) {
      this.perProcess.set(process, left);
      return;
    }
    this.perProcess.delete(process);
    this.processGone(process);
  }
}
