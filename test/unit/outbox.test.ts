/** The scheduler's outgoing batches (server/scheduler/outbox.ts). */
import { describe, expect, it } from 'vitest';
import { Outbox, coalesce, type Conn } from '../../server/scheduler/outbox.js';

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

describe('coalesce', () => {
  it("merges adjacent task events, reports and one thread's frees, and keeps the order", () => {
    const ev = (k: string): object => ({ type: 'task-events', events: [k] });
    const report = (k: string): object => ({ type: 'report', key: k, state: 'lost' });
    const free = (w: string, k: string): object => ({ type: 'free', worker: w, keys: [k] });
    const run = { type: 'run', worker: 't1', tasks: [] };
    expect(
      coalesce([
        ev('a'),
        ev('b'),
        report('x'),
        { type: 'reports', reports: [report('y')] },
        ev('c'),
        free('t1', 'k1'),
        free('t1', 'k2'),
        free('t2', 'k3'),
        run,
        free('t2', 'k4'),
      ]),
    ).toEqual([
      { type: 'task-events', events: ['a', 'b'] },
      { type: 'reports', reports: [report('x'), report('y')] },
      ev('c'),
      { type: 'free', worker: 't1', keys: ['k1', 'k2'] },
      free('t2', 'k3'),
      run,
      free('t2', 'k4'),
    ]);
  });

  it('leaves the merged messages as they were', () => {
    const a = { type: 'free', worker: 't1', keys: ['k1'] };
    const b = { type: 'free', worker: 't1', keys: ['k2'] };
    coalesce([a, b]);
    expect(a.keys).toEqual(['k1']);
    expect(b.keys).toEqual(['k2']);
  });
});

describe('Outbox with defer', () => {
  it('sends what the flushes of one turn queued once, coalesced; flushNow sends at once', () => {
    const sent: unknown[] = [];
    const conn: Conn = { id: 'c1', send: (m) => sent.push(m), close: () => undefined };
    const later: (() => void)[] = [];
    const outbox = new Outbox();
    outbox.defer = (send) => later.push(send);
    outbox.queue(conn, { type: 'task-events', events: [1] });
    outbox.flush();
    outbox.queue(conn, { type: 'task-events', events: [2] });
    outbox.flush();
    expect(sent).toEqual([]);
    expect(later).toHaveLength(1);
    later[0]?.();
    expect(sent).toEqual([{ type: 'task-events', events: [1, 2] }]);
    outbox.queue(conn, 'now');
    outbox.flush();
    outbox.flushNow();
    expect(sent.at(-1)).toBe('now');
    later[1]?.();
    expect(sent).toHaveLength(2);
  });
});
