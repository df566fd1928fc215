/**
 * Per-client caps (`--max-graph-size`, `--max-tasks-in-flight`): an authenticated client may
 * still not submit without bound. Pure bookkeeping, kept out of the socket and engine code.
 *
 * Policy: a submission's size is the number of tasks in its graph. A client's tasks in flight
 * are the sizes of its submissions not yet done, a submission being done once every key it
 * wanted was reported (finished, erred, lost) or released by the client; a task shared by two
 * submissions counts twice (conservative, and no per-task attribution in the engine). A
 * submission that would pass a cap is refused whole with ERR_LIMIT naming the cap, its value
 * and what to do; nothing of it is scheduled.
 *
 * Invariant: `inFlight(client)` is the sum of the sizes of its open submissions; a client that
 * leaves takes its books with it.
 */
import { BaskError } from '../../src/errors.js';

/** The caps; undefined means no cap. */
export interface ClientLimitOptions {
  /** Most tasks in one submission (`--max-graph-size`). */
  maxGraphSize?: number | undefined;
  /** Most tasks of one client's submissions not yet done (`--max-tasks-in-flight`). */
  maxTasksInFlight?: number | undefined;
}

/** One open submission: its size and the wanted keys not yet reported or released. */
interface Open {
  size: number;
  left: Set<string>;
}

/** One client's open submissions, and which of them wait for each key. */
interface Books {
  inFlight: number;
  open: Set<Open>;
  byKey: Map<string, Open[]>;
}

/** The books of every client's submissions against the caps. */
export class ClientLimits {
  private readonly clients = new Map<string, Books>();

  constructor(private readonly options: ClientLimitOptions = {}) {
    for (const [name, value] of Object.entries(options)) {
      if (value !== undefined && !(Number.isInteger(value) && value > 0))
        throw new BaskError(
          'ERR_INVALID_ARGUMENT',
          `${flagOf(name)} must be a positive whole number, got ${String(value)}`,
        );
    }
  }

  /** Whether any cap is set (without one, nothing needs recording). */
  get isActive(): boolean {
    return this.options.maxGraphSize !== undefined || this.options.maxTasksInFlight !== undefined;
  }

  /** Tasks of `client`'s submissions not yet done. */
  inFlight(client: string): number {
    return this.clients.get(client)?.inFlight ?? 0;
  }

  /**
   * Admits a submission of `size` tasks wanting `wanted` (recording it), or returns the
   * ERR_LIMIT to answer with (recording nothing).
   */
  admit(client: string, size: number, wanted: readonly string[]): BaskError | undefined {
    if (!this.isActive) return undefined;
    const { maxGraphSize, maxTasksInFlight } = this.options;
    if (maxGraphSize !== undefined && size > maxGraphSize)
      return new BaskError(
        'ERR_LIMIT',
        `This graph has ${size} tasks and the scheduler accepts at most ${maxGraphSize} in one submission (--max-graph-size): submit it in parts, or ask its operator to raise the limit`,
      );
    const books = this.booksOf(client);
    if (maxTasksInFlight !== undefined && books.inFlight + size > maxTasksInFlight)
      return new BaskError(
        'ERR_LIMIT',
        `This client has ${books.inFlight} tasks in flight and this graph adds ${size}: the scheduler allows at most ${maxTasksInFlight} per client (--max-tasks-in-flight). Wait for results (or release futures) before submitting more, or ask its operator to raise the limit`,
      );
    const open: Open = { size, left: new Set(wanted) };
    if (open.left.size === 0) return undefined; // nothing to wait for: done at once
    books.inFlight += size;
    books.open.add(open);
    for (const key of open.left) {
      const list = books.byKey.get(key);
      if (list === undefined) books.byKey.set(key, [open]);
      else list.push(open);
    }
    return undefined;
  }

  /** `client` no longer waits for `keys` (reported to it, or released by it). */
  settle(client: string, keys: readonly string[]): void {
    const books = this.clients.get(client);
    if (books === undefined) return;
    for (const key of keys) {
      const opens = books.byKey.get(key);
      if (opens === undefined) continue;
      books.byKey.delete(key);
      for (const open of opens) {
        open.left.delete(key);
        if (open.left.size === 0 && books.open.delete(open)) books.inFlight -= open.size;
      }
    }
  }

  /** Forgets a client that left. */
  remove(client: string): void {
    this.clients.delete(client);
  }

  private booksOf(client: string): Books {
    let books = this.clients.get(client);
    if (books === undefined) {
      books = { inFlight: 0, open: new Set(), byKey: new Map() };
      this.clients.set(client, books);
    }
    return books;
  }
}

function flagOf(option: string): string {
  return `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}
