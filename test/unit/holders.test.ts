/**
 * Where data is, told with the runs that need it (issue 17: joins must not cost O(N)): the
 * scheduler names the holders of a run's inputs in other processes (server/scheduler/holders.ts)
 * and tells no one of a join; a worker side keeps only the holders it was told of
 * (src/worker/known-holders.ts).
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../server/scheduler/cluster.js';
import { holdersOf } from '../../server/scheduler/holders.js';
import type { Conn } from '../../server/scheduler/outbox.js';
import { WorkerProcesses } from '../../server/scheduler/processes.js';
import type { Fetch } from '../../src/engine/types.js';
import type { WireTask } from '../../src/wire/pool-protocol.js';
import { PROTOCOL_VERSION, type Hello } from '../../src/wire/protocol.js';
import { KnownHolders } from '../../src/worker/known-holders.js';

function conn(id: string, sent: unknown[] = []): Conn {
  return { id, send: (m) => sent.push(m), close: () => undefined };
}

function hello(name: string, nthreads: number, peerAddress?: string): Hello {
  return {
    type: 'hello',
    version: PROTOCOL_VERSION,
    role: 'worker',
    name,
    worker: {
      nthreads,
      memoryLimit: 0,
      resources: {},
      host: name,
      kind: peerAddress === undefined ? 'browser' : 'node',
      ...(peerAddress !== undefined ? { peerAddress } : {}),
    },
  };
}

function task(key: string, fetch: Fetch[]): WireTask {
  return { key, fn: null, args: [0], marked: false, fetch, report: 0 };
}

describe('the scheduler', () => {
  it('tells a joining process its own threads and tells the others nothing', async () => {
    const cluster = new Cluster();
    const sent = new Map<string, unknown[]>();
    for (let i = 1; i <= 50; i++) {
      const messages: unknown[] = [];
      sent.set(`c${i}`, messages);
      expect(cluster.addWorkerProcess(conn(`c${i}`, messages), hello(`w${i}`, 2))).toEqual([
        `w${i}/0`,
        `w${i}/1`,
      ]);
    }
    await new Promise((resolve) => setImmediate(resolve));
    for (const messages of sent.values()) expect(messages).toEqual([]);
    cluster.close();
  });

  it("names the holders of a run's inputs that live in other processes, once each", () => {
    const processes = new WorkerProcesses();
    const a = processes.add(conn('c1'), hello('a', 2, 'ws://127.0.0.1:1001'));
    processes.add(conn('c2'), hello('b', 2, 'ws://127.0.0.1:1002'));
    processes.add(conn('c3'), hello('tab', 1));
    const tasks = [
      task('x', [
        { key: 'p', from: 'b/0', move: false },
        { key: 'q', from: 'a/1', move: false },
      ]),
      task('y', [
        { key: 'r', from: 'b/0', move: true },
        { key: 's', from: 'tab/0', move: false },
        { key: 't', from: 'gone/0', move: false },
      ]),
    ];
    expect(holdersOf(processes, a, tasks)).toEqual([
      { id: 'b/0', process: 'c2', peerAddress: 'ws://127.0.0.1:1002' },
      { id: 'tab/0', process: 'c3' },
    ]);
    expect(holdersOf(processes, a, [task('z', [{ key: 'q', from: 'a/1', move: false }])])).toBe(
      undefined,
    );
    expect(holdersOf(processes, a, [task('z', [])])).toBe(undefined);
  });
});

describe('a worker side', () => {
  it('keeps the holders it is told of, never its own threads', () => {
    const gone: string[] = [];
    const holders = new KnownHolders(
      () => 'me',
      (p) => gone.push(p),
    );
    holders.learn([
      { id: 'b/0', process: 'c2', peerAddress: 'ws://127.0.0.1:1' },
      { id: 'me/0', process: 'me' },
    ]);
    expect(holders.get('b/0')?.peerAddress).toBe('ws://127.0.0.1:1');
    expect(holders.get('me/0')).toBe(undefined);
    expect(holders.processes).toBe(1);
    // Told again, the same: nothing closes.
    holders.learn([{ id: 'b/0', process: 'c2', peerAddress: 'ws://127.0.0.1:1' }]);
    expect(gone).toEqual([]);
  });

  it('lets a rejoined thread replace its old process, and closes the old one once unused', () => {
    const gone: string[] = [];
    const holders = new KnownHolders(
      () => 'me',
      (p) => gone.push(p),
    );
    holders.learn([
      { id: 'b/0', process: 'c2' },
      { id: 'b/1', process: 'c2' },
    ]);
    holders.learn([{ id: 'b/0', process: 'c7' }]);
    expect(gone).toEqual([]);
    holders.learn([{ id: 'b/1', process: 'c7' }]);
    expect(gone).toEqual(['c2']);
    expect(holders.get('b/1')?.process).toBe('c7');
    expect(holders.processes).toBe(1);
  });

  it('forgets the least recently told holders past its limit', () => {
    const gone: string[] = [];
    const holders = new KnownHolders(
      () => 'me',
      (p) => gone.push(p),
      2,
    );
    holders.learn([
      { id: 'a/0', process: 'ca' },
      { id: 'b/0', process: 'cb' },
    ]);
    holders.learn([{ id: 'a/0', process: 'ca' }]);
    holders.learn([{ id: 'c/0', process: 'cc' }]);
    expect(gone).toEqual(['cb']);
    expect(holders.get('a/0')).toBeDefined();
    expect(holders.get('b/0')).toBe(undefined);
    expect(holders.processes).toBe(2);
  });
});
