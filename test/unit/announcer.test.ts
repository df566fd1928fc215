/** Peer-table announcements batched per event-loop turn, in order, rejoins never undone. */
import { describe, expect, it } from 'vitest';
import { PeerAnnouncer } from '../../server/scheduler/announcer.js';
import type { WorkerInfo } from '../../src/wire/protocol.js';

const thread = (id: string): WorkerInfo => ({ id, process: id.split('/')[0] as string });
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('PeerAnnouncer', () => {
  it('announces every join and leave of one turn in one batch', async () => {
    const batches: [string[], string[]][] = [];
    const a = new PeerAnnouncer((added, removed) =>
      batches.push([added.map((t) => t.id), [...removed]]),
    );
    a.join([thread('p1/0'), thread('p1/1')]);
    a.join([thread('p2/0')]);
    a.leave(['p0/0']);
    expect(batches).toEqual([]);
    await turn();
    expect(batches).toEqual([[['p1/0', 'p1/1', 'p2/0'], ['p0/0']]]);
    await turn();
    expect(batches).toHaveLength(1);
  });

  it('never lets one batch hold a removal and a re-addition of the same thread', async () => {
    const batches: [string[], string[]][] = [];
    const a = new PeerAnnouncer((added, removed) =>
      batches.push([added.map((t) => t.id), [...removed]]),
    );
    a.leave(['w/0']);
    a.join([thread('w/0')]); // rejoined under the same name in the same turn
    a.join([thread('v/0')]);
    a.leave(['v/0']); // and one that came and went
    await turn();
    expect(batches).toEqual([
      [[], ['w/0']],
      [['w/0', 'v/0'], []],
      [[], ['v/0']],
    ]);
  });
});
