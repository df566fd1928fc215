/**
 * Outgoing messages, batched per connection: queued while the engine steps and sent after, in
 * order per connection, the frames of one connection in one write when the connection can
 * (`sendMany`: a client hears of a thousand finished tasks in one system call, not a thousand).
 *
 * Policy: adjacent messages that say the same thing to the same place go as one (`coalesce`:
 * task events for a client, reports for a client, frees for one thread), so that a batch costs
 * one frame to decode and, at a worker process, one message to its thread. Only adjacent ones:
 * the order of everything a connection hears is kept. With `defer` (the server sets it), a
 * flush only schedules the sending: the steps of one turn of the event loop (in the demo,
 * every task result is a step) go out together, and so coalesce.
 */

/** A connection as the scheduler's core sees it. */
export interface Conn {
  readonly id: string;
  send(message: unknown): void;
  /** Sends messages in order, in as few writes as the transport allows. */
  sendMany?(messages: readonly unknown[]): void;
  close(code: number, reason: string): void;
}

/** Messages waiting to be sent. */
export class Outbox {
  private readonly pending = new Map<Conn, unknown[]>();
  private scheduled = false;
  /** When set, `flush` hands the sending to this (e.g. setImmediate) instead of sending now. */
  defer: ((send: () => void) => void) | undefined;

  /** Queues a message for a connection (sent at the next flush, in order). */
  queue(conn: Conn, message: unknown): void {
    let list = this.pending.get(conn);
    if (list === undefined) this.pending.set(conn, (list = []));
    list.push(message);
  }

  /** Sends everything queued (later, once per turn, when deferred). */
  flush(): void {
    if (this.pending.size === 0 || this.scheduled) return;
    if (this.defer === undefined) return this.flushNow();
    this.scheduled = true;
    this.defer(() => {
      this.scheduled = false;
      this.flushNow();
    });
  }

  /** Sends everything queued now (before a connection closes, say). */
  flushNow(): void {
    if (this.pending.size === 0) return;
    const pending = [...this.pending];
    this.pending.clear();
    for (const [conn, queued] of pending) {
      const messages = coalesce(queued);
      if (messages.length > 1 && conn.sendMany !== undefined) conn.sendMany(messages);
      else for (const m of messages) conn.send(m);
    }
  }
}

type Message = { type?: unknown; worker?: unknown; keys?: unknown; events?: unknown };

/**
 * The same messages with adjacent ones merged where one message says the same: `task-events`
 * lists joined, `report`s and `reports` joined into one `reports`, `free`s of one thread's keys
 * joined. Messages are not mutated (a merge makes a new one).
 */
export function coalesce(messages: readonly unknown[]): unknown[] {
  if (messages.length < 2) return [...messages];
  const out: unknown[] = [];
  for (const message of messages) {
    const last = out[out.length - 1];
    const merged = last === undefined ? undefined : merge(last as Message, message as Message);
    if (merged === undefined) out.push(message);
    else out[out.length - 1] = merged;
  }
  return out;
}

function merge(a: Message, b: Message): unknown {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return undefined;
  if (a.type === 'task-events' && b.type === 'task-events')
    return { type: 'task-events', events: [...listOf(a.events), ...listOf(b.events)] };
  if (a.type === 'free' && b.type === 'free' && a.worker === b.worker)
    return { type: 'free', worker: a.worker, keys: [...listOf(a.keys), ...listOf(b.keys)] };
  const reportsA = reportsIn(a);
  const reportsB = reportsIn(b);
  if (reportsA !== undefined && reportsB !== undefined)
    return { type: 'reports', reports: [...reportsA, ...reportsB] };
  return undefined;
}

function reportsIn(m: Message): unknown[] | undefined {
  if (m.type === 'report') return [m];
  if (m.type === 'reports') return listOf((m as { reports?: unknown }).reports);
  return undefined;
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}
