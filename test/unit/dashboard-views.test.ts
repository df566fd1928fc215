/**
 * The dashboard's page side without a browser: frames into the model (columns to runs,
 * bounded history), the live task stream and tables as strings, and mountDashboard's argument
 * checks.
 */
import { describe, expect, it } from 'vitest';
import type { Client } from '../../src/client/client.js';
import { DashboardModel } from '../../src/diagnostics/dashboard/model.js';
import { mountDashboard } from '../../src/diagnostics/dashboard/mount.js';
import { renderLiveStream } from '../../src/diagnostics/dashboard/stream-view.js';
import {
  groupsHtml,
  workerSummaryHtml,
  workersTableHtml,
} from '../../src/diagnostics/dashboard/tables.js';
import { isBaskError } from '../../src/errors.js';
import type { DashboardUpdate, WorkerStatus } from '../../src/wire/dashboard-protocol.js';

const worker: WorkerStatus = {
  id: 'c1',
  name: 'alice',
  kind: 'node',
  host: 'h',
  nthreads: 2,
  memory: 100e6,
  memoryLimit: 1e9,
  running: 1,
  done: 3,
  keys: 2,
  bytes: 16,
  bytesIn: { peer: 2048 },
  bytesOut: {},
  spilled: 0,
  lastSeen: 9_500,
  joined: 1_000,
  threads: [
    { id: 'alice/0', running: 1, done: 2, keys: 1, bytes: 8 },
    { id: 'alice/1', running: 0, done: 1, keys: 1, bytes: 8 },
  ],
};

function update(keys: string[], failed: number[] = []): DashboardUpdate {
  const n = keys.length;
  return {
    type: 'update',
    time: 10_000,
    dropped: 0,
    totals: {
      tasksDone: n,
      tasksErred: failed.length,
      tasksPerSecond: 5,
      bytesMoved: 0,
      bytesHeld: 16,
      keysHeld: 2,
      states: { memory: 2 },
      processes: 1,
      threads: 2,
      clients: 1,
      dashboards: 1,
      groupsOmitted: 0,
      since: 0,
    },
    groups: [{ name: 'inc', total: 3, done: 2, memory: 1, processing: 1, waiting: 0, erred: 0 }],
    workers: [worker],
    runs: {
      first: 0,
      skipped: 0,
      keys,
      group: new Uint32Array(n),
      groupNames: ['inc'],
      worker: Uint32Array.from(keys, (_, i) => i % 2),
      workerNames: ['alice/0', 'alice/1'],
      start: Float64Array.from(keys, (_, i) => 1000 + i * 10),
      end: Float64Array.from(keys, (_, i) => 1005 + i * 10),
      failed: Uint8Array.from(keys, (_, i) => (failed.includes(i) ? 1 : 0)),
    },
    transfers: [
      {
        worker: 'alice',
        kind: 'transfer',
        direction: 'in',
        path: 'peer',
        bytes: 2048,
        start: 1000,
        end: 1020,
      },
    ],
  };
}

describe('dashboard views', () => {
  it('turns frames into runs, keeping a bounded history', () => {
    const model = new DashboardModel();
    model.apply(update(['inc-1', 'inc-2', 'inc-3'], [2]));
    expect(model.runs.map((r) => [r.key, r.worker, r.failed])).toEqual([
      ['inc-1', 'alice/0', false],
      ['inc-2', 'alice/1', false],
      ['inc-3', 'alice/0', true],
    ]);
    for (let i = 0; i < 30; i++) {
      model.apply(update(Array.from({ length: 1000 }, (_, j) => `inc-${i}-${j}`)));
    }
    expect(model.runs.length).toBeLessThanOrEqual(20_000);
    expect(model.runs.at(-1)?.key).toBe('inc-29-999');
    expect(model.history.time.length).toBe(31);
  });

  it('draws a bar per run on its thread lane, failures in red, transfers striped', () => {
    const model = new DashboardModel();
    model.apply(update(['inc-1', 'inc-2', 'inc-3'], [2]));
    const svg = renderLiveStream(model.runs, model.transfers, [worker], { width: 600 });
    expect(svg.match(/class="bask-task"/g)).toHaveLength(3);
    expect(svg.match(/data-error="true"/g)).toHaveLength(1);
    expect(svg.match(/class="bask-transfer"/g)).toHaveLength(1);
    expect(svg).toContain('data-worker="alice/0"');
    expect(svg).toContain('data-worker="alice/1"');
    expect(renderLiveStream([], [], [worker])).toContain('No tasks have run yet');
  });

  it('shows groups and workers with their numbers as data attributes', () => {
    const frame = update(['inc-1']);
    const groups = groupsHtml(frame.groups, 0);
    expect(groups).toContain('data-group="inc" data-total="3" data-done="2" data-memory="1"');
    const table = workersTableHtml(frame.workers, 10_000);
    expect(table).toContain('data-worker="alice" data-kind="node" data-threads="2"');
    expect(table).toContain('peer 2.05 kB');
    expect(table).toContain('0.5 s ago');
    expect(groupsHtml([], 0)).toContain('No tasks yet');
  });

  it('marks a quarantined worker, with its reason, in both worker tables', () => {
    const liar: WorkerStatus = {
      ...worker,
      name: 'mallory',
      quarantined: { key: 'inc-7', reason: "its result for 'inc-7' disagreed", since: 9_000 },
    };
    for (const html of [workersTableHtml([worker, liar], 10_000), workerSummaryHtml([liar])]) {
      expect(html).toContain('data-worker="mallory"');
      expect(html).toMatch(/data-quarantined="inc-7"/);
      expect(html).toContain(
        '<span class="bask-quarantined" title="its result for &#39;inc-7&#39; disagreed (task inc-7)">quarantined</span>',
      );
    }
    expect(workersTableHtml([worker], 10_000)).not.toContain('quarantined');
  });

  it('refuses a local client and unknown views with ERR_INVALID_ARGUMENT', () => {
    const element = {} as HTMLElement;
    const local = { address: undefined } as unknown as Client;
    expect(() => mountDashboard(element, local)).toThrow(/local pool/);
    let error: unknown;
    try {
      mountDashboard(element, 'ws://127.0.0.1:1', { view: 'nope' as 'status' });
    } catch (e) {
      error = e;
    }
    expect(isBaskError(error, 'ERR_INVALID_ARGUMENT')).toBe(true);
  });
});
