/**
 * Memory as the scheduler sees it: heartbeats that pause and resume a worker process's threads
 * (engine events, the memoryPaused and memoryRestarts counters, once each), and the dashboard's
 * workers tables marking a paused worker and its spilled bytes.
 */
import { describe, expect, it } from 'vitest';
import { WorkerProcesses, applyHeartbeat, pausedOnJoin } from '../../server/scheduler/processes.js';
import type { Conn } from '../../server/scheduler/outbox.js';
import { workerSummaryHtml, workersTableHtml } from '../../src/diagnostics/dashboard/tables.js';
import type { WorkerStatus } from '../../src/wire/dashboard-protocol.js';
import type { WorkerMetrics } from '../../src/wire/protocol.js';

function record() {
  const processes = new WorkerProcesses();
  return processes.add({ id: 'c1' } as Conn, {
    type: 'hello',
    version: 1,
    role: 'worker',
    name: 'w',
    worker: { nthreads: 2, memoryLimit: 100, resources: {}, host: 'h', kind: 'node' },
  });
}

const beat = (extra: Partial<WorkerMetrics> = {}): WorkerMetrics => ({
  memory: 90,
  bytesIn: {},
  bytesOut: {},
  spilled: 40,
  ...extra,
});

describe('heartbeats and memory', () => {
  it('pauses and resumes every thread of the process, counting the pause once', () => {
    const p = record();
    expect(applyHeartbeat(p, beat())).toEqual({ events: [], counters: [] });
    const paused = applyHeartbeat(p, beat({ paused: true }));
    expect(paused.counters).toEqual(['memoryPaused']);
    expect(paused.events).toEqual([
      { type: 'worker-paused', worker: 'w/0', paused: true },
      { type: 'worker-paused', worker: 'w/1', paused: true },
    ]);
    expect(applyHeartbeat(p, beat({ paused: true }))).toEqual({ events: [], counters: [] });
    expect(pausedOnJoin(p, 'w/1')).toEqual([
      { type: 'worker-paused', worker: 'w/1', paused: true },
    ]);
    const resumed = applyHeartbeat(p, beat({ paused: false }));
    expect(resumed.counters).toEqual([]);
    expect(resumed.events.map((e) => e.type === 'worker-paused' && e.paused)).toEqual([
      false,
      false,
    ]);
    expect(pausedOnJoin(p, 'w/1')).toEqual([]);
    expect(p.spilled).toBe(40);
    expect(p.memory).toBe(90);
  });

  it('counts a restart once and keeps a terminating process paused', () => {
    const p = record();
    const first = applyHeartbeat(p, beat({ paused: true, terminating: true }));
    expect(first.counters.sort()).toEqual(['memoryPaused', 'memoryRestarts']);
    expect(applyHeartbeat(p, beat({ terminating: true }))).toEqual({ events: [], counters: [] });
    expect(p.paused).toBe(true);
  });
});

describe('dashboard tables and memory', () => {
  const worker: WorkerStatus = {
    id: 'c1',
    name: 'w',
    kind: 'node',
    host: 'h',
    nthreads: 1,
    memory: 90e6,
    memoryLimit: 100e6,
    running: 0,
    done: 3,
    keys: 2,
    bytes: 16,
    bytesIn: {},
    bytesOut: {},
    spilled: 2 ** 20,
    lastSeen: 9_500,
    joined: 1_000,
    threads: [],
  };

  it('marks a paused worker and shows its spilled bytes', () => {
    const table = workersTableHtml([{ ...worker, paused: true }], 10_000);
    expect(table).toContain('data-paused="true"');
    expect(table).toContain('class="bask-paused"');
    expect(table).toContain(`data-spilled="${2 ** 20}"`);
    expect(workerSummaryHtml([{ ...worker, paused: true }])).toContain('>paused</span>');
    expect(workersTableHtml([worker], 10_000)).not.toContain('paused');
  });
});
