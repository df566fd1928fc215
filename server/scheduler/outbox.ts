/**
 * Outgoing messages, batched per connection: queued while the engine steps and sent after,
 * one frame per message, in order per connection, the frames of one connection in one write
 * when the connection can (`sendMany`: a client hears of a thousand finished tasks in one
 * system call, not a thousand).
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

  /** Queues a message for a connection (sent at the next flush, in order). */
  queue(conn: Conn, message: unknown): void {
    let list = this.pending.get(conn);
    if (list === undefined) this.pending.set(conn, (list = []));
    list.push(message);
  }

  /** Sends everything queued. */
  flush(): void {
    if (this.pending.size === 0) return;
    for (const [conn, messages] of this.pending) {
      if (messages.length > 1 && conn.sendMany !== undefined) conn.sendMany(messages);
      else for (const m of messages) conn.send(m);
    }
    this.pending.clear();
  }
}
