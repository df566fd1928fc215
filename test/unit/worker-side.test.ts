/**
 * The worker side's shared pieces, with plain objects: the scheduler-message dispatcher that
 * `bask worker` processes and volunteer routers both use (src/worker/scheduler-dispatch.ts),
 * and the peer-data client over an injected socket (src/worker/peer-client.ts).
 */
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, joinChunks } from '../../src/wire/frame.js';
import type {
  FromWorkerProcess,
  PeerWireMessage,
  ToWorkerProcess,
} from '../../src/wire/protocol.js';
import type { Socket } from '../../src/wire/socket.js';
import { PeerClient, PeerRequests } from '../../src/worker/peer-client.js';
import {
  SchedulerInbox,
  movesAll,
  type Got,
  type WorkerSide,
} from '../../src/worker/scheduler-dispatch.js';

/** A worker side that records what it was asked and answers serves with `got`. */
function recordingSide(got: Got) {
  const calls: unknown[][] = [];
  const sent: FromWorkerProcess[] = [];
  /** Lets the last put finish (the thread now holds its data). */
  const held = { release: (): void => undefined };
  const record =
    (name: string) =>
    (...args: unknown[]): void => {
      calls.push([name, ...args]);
    };
  const side: WorkerSide = {
    threads: {
      run: record('run'),
      free: record('free'),
      cancel: record('cancel'),
      put: (...args) => {
        calls.push(['put', ...args]);
        return new Promise<void>((resolve) => (held.release = resolve));
      },
      restart: record('restart'),
      serve: (...args) => {
        calls.push(['serve', ...args]);
        return Promise.resolve(got);
      },
    },
    peers: { learn: record('learn'), relayed: record('relayed') },
    stop: record('stop'),
    send: (m) => sent.push(m),
    relayBytesIn: record('relayBytesIn'),
  };
  return { side, calls, sent, held };
}

function frame(message: ToWorkerProcess): Uint8Array {
  return joinChunks(encodeFrame(message));
}

describe('scheduler-message dispatcher', () => {
  it('acknowledges a put only once the thread holds the data (peers may fetch it then)', async () => {
    const { side, calls, sent, held } = recordingSide({ values: [], missing: [] });
    new SchedulerInbox(side).receive(
      frame({ type: 'put', id: 7, worker: 'w/0', keys: ['a'], values: [1] }),
    );
    expect(calls).toEqual([['put', 'w/0', ['a'], [1]]]);
    await Promise.resolve();
    expect(sent).toEqual([]);
    held.release();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(sent).toEqual([{ type: 'put-done', id: 7 }]);
  });

  it('answers a gather without moving the data', async () => {
    const { side, calls, sent } = recordingSide({ values: [1, undefined], missing: ['b'] });
    new SchedulerInbox(side).receive(
      frame({ type: 'gather', id: 3, worker: 'w/0', keys: ['a', 'b'] }),
    );
    await Promise.resolve();
    expect(calls).toEqual([['serve', 'w/0', ['a', 'b'], []]]);
    expect(sent).toEqual([{ type: 'gathered', id: 3, values: [1, undefined], missing: ['b'] }]);
  });

  it('serves a relayed fetch back to the asker and counts the relay bytes', async () => {
    const { side, calls, sent } = recordingSide({ values: [2], missing: [] });
    const data = frame({
      type: 'relay-fetch',
      id: 4,
      from: 'other/1',
      worker: 'w/1',
      keys: ['k'],
      move: [true],
    });
    new SchedulerInbox(side).receive(data);
    await Promise.resolve();
    expect(calls).toEqual([
      ['relayBytesIn', data.byteLength],
      ['serve', 'w/1', ['k'], [true]],
    ]);
    expect(sent).toEqual([{ type: 'relay-data', id: 4, to: 'other/1', values: [2], missing: [] }]);
  });

  it('routes thread and peer messages to their owners', () => {
    const { side, calls } = recordingSide({ values: [], missing: [] });
    const inbox = new SchedulerInbox(side);
    inbox.receive(frame({ type: 'free', worker: 'w/0', keys: ['a'] }));
    inbox.receive(frame({ type: 'cancel', worker: 'w/0', keys: ['b'] }));
    inbox.receive(frame({ type: 'restart', worker: 'w/0', reason: 'timeout' }));
    const holders = [{ id: 'x/0', process: 'c9', peerAddress: 'ws://127.0.0.1:1' }];
    inbox.receive(frame({ type: 'run', worker: 'w/0', tasks: [], holders }));
    inbox.receive(frame({ type: 'run', worker: 'w/0', tasks: [] }));
    inbox.receive(frame({ type: 'ping' }));
    expect(calls).toEqual([
      ['free', 'w/0', ['a']],
      ['cancel', 'w/0', ['b']],
      ['restart', 'w/0'],
      // Where the run's inputs are is learnt before the run starts fetching them.
      ['learn', holders],
      ['run', 'w/0', []],
      ['run', 'w/0', []],
    ]);
  });

  it('stops on a frame that does not decode, and does not count it as heard', () => {
    const { side, calls } = recordingSide({ values: [], missing: [] });
    const inbox = new SchedulerInbox(side);
    inbox.lastHeard = 0;
    inbox.receive(new Uint8Array([1, 2, 3]));
    expect(calls).toEqual([['stop', 'malformed message from the scheduler']]);
    expect(inbox.lastHeard).toBe(0);
  });

  it('moves values only when every key says so', () => {
    expect(movesAll([])).toBe(false);
    expect(movesAll([true, false])).toBe(false);
    expect(movesAll([true, true])).toBe(true);
  });
});

/** A socket to a fake peer server: records what it was sent, answers when told. */
function fakePeer() {
  const received: PeerWireMessage[] = [];
  const messageListeners: ((data: Uint8Array) => void)[] = [];
  const closeListeners: ((code: number, reason: string) => void)[] = [];
  const socket: Socket = {
    send: (chunks) => received.push(decodeFrame(joinChunks(chunks)) as PeerWireMessage),
    close: (code = 1000, reason = '') => {
      for (const l of closeListeners.splice(0)) l(code, reason);
    },
    onMessage: (l) => {
      messageListeners.push(l);
      return () => undefined;
    },
    onClose: (l) => {
      closeListeners.push(l);
    },
    bufferedAmount: 0,
  };
  const answer = (message: PeerWireMessage): void => {
    const data = joinChunks(encodeFrame(message));
    for (const l of messageListeners) l(data);
  };
  return { socket, received, answer };
}

/** Resolves once `received` holds `n` messages. */
async function until(received: unknown[], n: number): Promise<void> {
  while (received.length < n) await new Promise((r) => setImmediate(r));
}

describe('peer-data client', () => {
  it('greets the peer, fetches, and resolves with its data', async () => {
    const peer = fakePeer();
    const counted: [number, boolean][] = [];
    const client = new PeerClient(
      () => 'me',
      'secret',
      (bytes, out) => counted.push([bytes, out]),
      () => Promise.resolve(peer.socket),
    );
    const got = client.fetch('p1', 'ws://127.0.0.1:1', 'p1/0', ['a', 'b'], [false, true]);
    await until(peer.received, 2);
    expect(peer.received[0]).toMatchObject({ type: 'hello-peer', from: 'me', token: 'secret' });
    expect(peer.received[1]).toMatchObject({
      type: 'fetch',
      worker: 'p1/0',
      keys: ['a', 'b'],
      move: [false, true],
    });
    const id = (peer.received[1] as { id: number }).id;
    peer.answer({ type: 'data', id, values: [1, undefined], missing: ['b'] });
    expect(await got).toEqual({ values: [1, undefined], missing: ['b'] });
    expect(counted.some(([, out]) => out)).toBe(true);
    expect(counted.some(([, out]) => !out)).toBe(true);
  });

  it('answers requests in flight as missing when the socket closes', async () => {
    const peer = fakePeer();
    const client = new PeerClient(
      () => 'me',
      undefined,
      () => undefined,
      () => Promise.resolve(peer.socket),
    );
    const got = client.fetch('p1', 'ws://127.0.0.1:1', 'p1/0', ['a'], [false]);
    await until(peer.received, 2);
    peer.socket.close(1006, 'gone');
    expect(await got).toEqual({ values: [undefined], missing: ['a'] });
  });

  it('resolves undefined (use the relay) when the peer cannot be reached, without retrying at once', async () => {
    let opens = 0;
    const client = new PeerClient(
      () => 'me',
      undefined,
      () => undefined,
      () => {
        opens++;
        return Promise.reject(new Error('refused'));
      },
    );
    expect(await client.fetch('p1', 'ws://127.0.0.1:1', 'p1/0', ['a'], [false])).toBeUndefined();
    expect(await client.fetch('p1', 'ws://127.0.0.1:1', 'p1/0', ['a'], [false])).toBeUndefined();
    expect(opens).toBe(1);
  });
});

describe('peer requests', () => {
  it('settles each request once: by its data, else as missing or through a fallback', async () => {
    const requests = new PeerRequests();
    const a = requests.add('p/0', ['a'], [false]);
    const b = requests.add('p/0', ['b'], [true]);
    const c = requests.add('p/0', ['c'], [false]);
    expect(b.message).toEqual({
      type: 'fetch',
      id: b.message.id,
      worker: 'p/0',
      keys: ['b'],
      move: [true],
    });
    requests.answer({ type: 'data', id: a.message.id, values: [1], missing: [] });
    const relayed: string[][] = [];
    requests.settleAll((r) => {
      relayed.push(r.keys);
      return Promise.resolve({ values: [2], missing: [] });
    });
    requests.answer({ type: 'data', id: b.message.id, values: [9], missing: [] });
    requests.settleAll();
    expect(await a.got).toEqual({ values: [1], missing: [] });
    expect(await b.got).toEqual({ values: [2], missing: [] });
    expect(await c.got).toEqual({ values: [2], missing: [] });
    expect(relayed).toEqual([['b'], ['c']]);
    const d = requests.add('p/0', ['d'], [false]);
    requests.settleAll();
    expect(await d.got).toEqual({ values: [undefined], missing: ['d'] });
  });
});
