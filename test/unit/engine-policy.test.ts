/**
 * The placement policies alone (policy.ts): pure functions of task and worker records built by
 * hand, no engine, no events.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POLICY,
  couldRun,
  estimateMicros,
  fairShare,
  hasRoom,
  isAllowed,
  matchesWorker,
  pickReplicas,
  pickWorker,
  transferCost,
  type Policy,
} from '../../src/engine/policy.js';
import {
  TaskChecks,
  TaskGroup,
  TaskRecord,
  WorkerRecord,
  type TaskOptions,
} from '../../src/engine/types.js';

const policy: Policy = { ...DEFAULT_POLICY, bandwidth: 1e6 };

function worker(
  id: string,
  fields: Partial<Pick<WorkerRecord, 'nprocessing' | 'occupancy'>> = {},
  nthreads = 1,
  resources: Record<string, number> = {},
  host = id.split('/')[0] as string,
): WorkerRecord {
  return Object.assign(new WorkerRecord(id, nthreads, resources, host), fields);
}

function taskOf(
  key: string,
  deps: TaskRecord[] = [],
  options: TaskOptions | null = null,
  group = new TaskGroup(key),
): TaskRecord {
  const t = new TaskRecord(key, null, deps, 0, group);
  t.options = options;
  return t;
}

/** A task in memory on `holders`, of `nbytes`. */
function held(key: string, nbytes: number, ...holders: WorkerRecord[]): TaskRecord {
  const t = taskOf(key);
  t.state = 'memory';
  t.nbytes = nbytes;
  t.holders = holders;
  return t;
}

describe('estimateMicros', () => {
  it('uses the default duration until the group is measured, plus the overhead', () => {
    const group = new TaskGroup('g');
    expect(estimateMicros(group, policy)).toBe(Math.round((0.5 + 2e-6) * 1e6));
    group.observe(0.001);
    expect(estimateMicros(group, policy)).toBe(1002);
  });

  it('is a positive integer however short or long the group runs', () => {
    const group = new TaskGroup('g');
    group.observe(0);
    expect(estimateMicros(group, { ...policy, perTaskOverhead: 0 })).toBe(1);
    group.observe(1e9);
    expect(estimateMicros(group, policy)).toBe(2 ** 30 - 1);
  });
});

describe('hasRoom', () => {
  it('a free thread always has room; an isolating worker never', () => {
    expect(hasRoom(worker('a', { occupancy: 1e12 }), policy)).toBe(true);
    const w = worker('a');
    w.isolating = taskOf('x');
    expect(hasRoom(w, policy)).toBe(false);
  });

  it('queues beyond the threads only under the target queue time', () => {
    expect(hasRoom(worker('a', { nprocessing: 1, occupancy: 1000 }), policy)).toBe(true);
    expect(hasRoom(worker('a', { nprocessing: 1, occupancy: 5000 }), policy)).toBe(false);
  });

  it('exact mode: one task per thread', () => {
    const w = worker('a', { nprocessing: 1, occupancy: 1 });
    expect(hasRoom(w, { ...policy, exact: true })).toBe(false);
  });
});

describe('fairShare', () => {
  it('spreads ready and processing tasks over the threads, rounded up', () => {
    expect(fairShare(9, 0, 2)).toBe(5);
    expect(fairShare(0, 0, 4)).toBe(0);
    expect(fairShare(3, 3, 0)).toBe(Infinity);
  });
});

describe('restrictions', () => {
  it('matchesWorker: a thread, or every thread of a process', () => {
    expect(matchesWorker('alice', 'alice/0')).toBe(true);
    expect(matchesWorker('alice/0', 'alice/0')).toBe(true);
    expect(matchesWorker('alice', 'alice2/0')).toBe(false);
  });

  it('isAllowed checks named workers and free resources; couldRun the totals', () => {
    const gpu = worker('g/0', {}, 1, { GPU: 1 });
    const cpu = worker('c/0');
    const t = taskOf('x', [], { resources: { GPU: 1 } });
    expect(isAllowed(t, gpu)).toBe(true);
    expect(isAllowed(t, cpu)).toBe(false);
    gpu.usedResources.set('GPU', 1);
    expect(isAllowed(t, gpu)).toBe(false);
    expect(couldRun(t, gpu)).toBe(true);
    expect(couldRun(t, cpu)).toBe(false);
  });

  it('loose restrictions admit others only while no named worker is connected', () => {
    const t = taskOf('x', [], { workers: ['alice'], allowOtherWorkers: true });
    const bob = worker('bob/0');
    expect(isAllowed(t, bob, [bob])).toBe(true);
    expect(isAllowed(t, bob, [bob, worker('alice/0')])).toBe(false);
    expect(isAllowed(taskOf('y', [], { workers: ['alice'] }), bob, [bob])).toBe(false);
  });
});

describe('transferCost', () => {
  it('counts inputs not on the worker, a tenth for those on its host', () => {
    const a0 = worker('a/0');
    const a1 = worker('a/1');
    const b0 = worker('b/0');
    const t = taskOf('x', [held('p', 1e6, a0), held('q', 2e6, b0)]);
    expect(transferCost(t, a0, policy)).toBeCloseTo(2);
    expect(transferCost(t, a1, policy)).toBeCloseTo(2.1);
    expect(transferCost(t, b0, policy)).toBeCloseTo(1);
  });
});

describe('pickWorker', () => {
  it('a root task stays on the previous worker while it has room, else the least loaded', () => {
    const a = worker('a');
    const b = worker('b', { nprocessing: 1, occupancy: 10 });
    const c = worker('c', { nprocessing: 1, occupancy: 5 });
    expect(pickWorker(taskOf('x'), [a, b, c], b, policy)).toBe(b);
    b.occupancy = 1e9;
    expect(pickWorker(taskOf('x'), [a, b, c], b, policy)).toBe(a);
    a.nprocessing = 1;
    a.occupancy = 100;
    expect(pickWorker(taskOf('x'), [a, b, c], undefined, policy)).toBe(c);
  });

  it('a root task waits when nobody has room within the share', () => {
    const a = worker('a', { nprocessing: 2, occupancy: 10 });
    const b = worker('b', { nprocessing: 2, occupancy: 10 });
    expect(pickWorker(taskOf('x'), [a, b], undefined, policy, 2)).toBeUndefined();
    expect(pickWorker(taskOf('x'), [a, b], undefined, policy, 3)).toBe(a);
  });

  it('a dependent goes where its inputs are, even to a busy worker', () => {
    const a = worker('a', { nprocessing: 5, occupancy: 1e9 });
    const b = worker('b');
    const t = taskOf('x', [held('big', 1e9, a)]);
    expect(pickWorker(t, [a, b], undefined, policy)).toBe(a);
  });

  it('a dependent goes elsewhere only when its holders are at their hard limit', () => {
    const a = worker('a', { nprocessing: 1001, occupancy: 5e6 });
    const b = worker('b');
    const t = taskOf('x', [held('small', 10, a)]);
    expect(pickWorker(t, [a, b], undefined, policy)).toBe(b);
  });

  it('a suspicious task needs an idle worker; a timed one a free thread', () => {
    const busy = worker('a', { nprocessing: 1, occupancy: 1 }, 2);
    const idle = worker('b', { nprocessing: 0, occupancy: 0 });
    const suspicious = taskOf('x');
    suspicious.suspicious = 1;
    expect(pickWorker(suspicious, [busy], undefined, policy)).toBeUndefined();
    expect(pickWorker(suspicious, [busy, idle], undefined, policy)).toBe(idle);
    const timed = taskOf('y', [], { timeout: 100 });
    timed.checks = new TaskChecks();
    timed.checks.timedOut.push('b');
    expect(pickWorker(timed, [busy, idle], undefined, policy)).toBe(busy);
  });
});

describe('pickReplicas', () => {
  it('picks distinct hosts not excluded, least loaded first', () => {
    const a0 = worker('a/0', { nprocessing: 0, occupancy: 0 });
    const a1 = worker('a/1');
    const b0 = worker('b/0');
    const c0 = worker('c/0');
    c0.nprocessing = 0;
    const picks = pickReplicas(taskOf('x'), [a0, a1, b0, c0], 3, ['c'], policy);
    expect(picks.map((w) => w.host)).toEqual(['a', 'b']);
    expect(pickReplicas(taskOf('x'), [a0, a1], 2, [], policy)).toHaveLength(1);
  });
});
