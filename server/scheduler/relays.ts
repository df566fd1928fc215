/**
 * Fetches the scheduler relays between worker processes that cannot reach each other directly:
 * who asked (process and request id), which process was asked, for which keys. Only the process
 * asked may answer, and only once; a process that leaves settles what it was asked (as missing)
 * and its own requests are forgotten.
 */
import type { FromWorkerProcess } from '../../src/wire/protocol.js';
import type { Metrics } from './metrics.js';
import type { Outbox } from './outbox.js';
import type { WorkerProcesses, WorkerProcessRecord } from './processes.js';

interface Asked {
  target: string;
  keys: string[];
}

/** Relayed fetches in flight. */
export class Relays {
  /** requester process -> request id -> what it asked of whom. */
  private readonly open = new Map<string, Map<number, Asked>>();

  /** `requester`'s fetch `id` of `keys` goes to process `target`. */
  ask(requester: string, id: number, target: string, keys: string[]): void {
    let mine = this.open.get(requester);
    if (mine === undefined) this.open.set(requester, (mine = new Map<number, Asked>()));
    mine.set(id, { target, keys });
  }

  /** Whether `target` may answer `requester`'s fetch `id` (true once, for the process asked). */
  answer(requester: string, id: number, target: string): boolean {
    const mine = this.open.get(requester);
    if (mine?.get(id)?.target !== target) return false;
    mine.delete(id);
    if (mine.size === 0) this.open.delete(requester);
    return true;
  }

  /**
   * Process `gone` left: each fetch it was asked is settled through `unanswered`, and the
   * fetches it asked are forgotten.
   */
  dropProcess(
    gone: string,
    unanswered: (requester: string, id: number, keys: string[]) => void,
  ): void {
    this.open.delete(gone);
    for (const [requester, mine] of this.open) {
      for (const [id, asked] of mine) {
        if (asked.target !== gone) continue;
        mine.delete(id);
        unanswered(requester, id, asked.keys);
      }
      if (mine.size === 0) this.open.delete(requester);
    }
  }
}

/** What routing relayed fetches reaches of the cluster. */
export interface RelayIo {
  readonly processes: WorkerProcesses;
  readonly outbox: Outbox;
  readonly metrics: Metrics;
}

/**
 * Routes a relayed fetch (to the process holding the thread asked; missing when none does) or
 * its answer (back to the requester, only from the process asked, once).
 */
export function routeRelay(
  relays: Relays,
  io: RelayIo,
  from: WorkerProcessRecord,
  message: Extract<FromWorkerProcess, { type: 'relay-fetch' | 'relay-data' }>,
): void {
  if (message.type === 'relay-fetch') {
    const target = io.processes.ofThread(message.to);
    if (target === undefined) {
      io.outbox.queue(from.conn, {
        type: 'relay-data',
        id: message.id,
        values: [],
        missing: message.keys,
      });
    } else {
      relays.ask(from.conn.id, message.id, target.conn.id, message.keys);
      io.outbox.queue(target.conn, {
        type: 'relay-fetch',
        id: message.id,
        from: from.conn.id,
        worker: message.to,
        keys: message.keys,
        move: message.move,
      });
    }
  } else {
    // Only the process asked may answer a relayed fetch, once.
    if (!relays.answer(message.to, message.id, from.conn.id)) return;
    const target = io.processes.byConn.get(message.to);
    if (target !== undefined)
      io.outbox.queue(target.conn, {
        type: 'relay-data',
        id: message.id,
        values: message.values,
        missing: message.missing,
      });
    io.metrics.count('relayed');
  }
}
