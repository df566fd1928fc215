/**
 * Peer-table announcements: every worker process keeps a table of the other processes'
 * threads (where to fetch their data), so each join and each leave must reach every process.
 * Announced one by one, a ramp of N joins costs N² messages, and at a few thousand
 * connections the scheduler spent its time on them (bench/load.ts). Changes are gathered
 * instead and announced once per turn of the event loop: one `peers` message per process per
 * batch, however many joined or left meanwhile.
 *
 * Invariant: a process hears of every change, in order. A batch never holds both an addition
 * and a removal of one thread id (a thread removed and added again, or the reverse, in one
 * turn): the batch so far is sent first, so that `added`-then-`removed` order on the receiving
 * side cannot undo a rejoin.
 */
import type { WorkerInfo } from '../../src/wire/protocol.js';

/** Sends one batch of changes to every connected process. */
export type Announce = (added: readonly WorkerInfo[], removed: readonly string[]) => void;

/** Batches peer-table changes per event-loop turn. */
export class PeerAnnouncer {
  private added: WorkerInfo[] = [];
  private removed: string[] = [];
  private scheduled = false;

  constructor(private readonly announce: Announce) {}

  /** Threads that joined (their process learns the table from its welcome). */
  join(threads: readonly WorkerInfo[]): void {
    if (threads.some((t) => this.removed.includes(t.id))) this.flush();
    for (const t of threads) this.added.push(t);
    this.schedule();
  }

  /** Threads that left. */
  leave(ids: readonly string[]): void {
    if (this.added.some((t) => ids.includes(t.id))) this.flush();
    for (const id of ids) this.removed.push(id);
    this.schedule();
  }

  /** Sends what is gathered now. */
  flush(): void {
    if (this.added.length === 0 && this.removed.length === 0) return;
    const { added, removed } = this;
    this.added = [];
    this.removed = [];
    this.announce(added, removed);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }
}
