/** The scheduler's outgoing batches (server/scheduler/outbox.ts). */
import { describe, expect, it } from 'vitest';
import { Outbox, type Conn } from '../../server/scheduler/outbox.js';

describe('Outbox', () => {
  it("sends a connection's batch in one call when it can, in order, and each message once", () => {
    const calls: unknown[][] = [];
    const batching: Conn = {
      id: 'c1',
      send: (m) => calls.push(['send', m]),
      sendMany: (ms) => calls.push(['sendMany', [...ms]]),
      close: () => undefined,
    };
    const plain: Conn = { id: 'c2', send: (m) => calls.push(['plain', m]), close: () => undefined };
    const outbox = new Outbox();
    outbox.queue(batching, 1);
    outbox.queue(plain, 'a');
    outbox.queue(batching, 2);
    outbox.queue(plain, 'b');
    outbox.flush();
    outbox.queue(batching, 3);
    outbox.flush();
    outbox.flush();
    expect(calls).toEqual([
      ['sendMany', [1, 2]],
      ['plain', 'a'],
      ['plain', 'b'],
      ['send', 3],
    ]);
  });
});
