/**
 * The transition table (state.ts): every state change goes through `transition`, which refuses
 * pairs the table does not list; the per-worker indexes follow runs and copies.
 */
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import {
  TRANSITIONS,
  addHolder,
  assignTask,
  clearHolders,
  removeHolder,
  transition,
  unassignTask,
} from '../../src/engine/state.js';
import { TaskGroup, TaskRecord, WorkerRecord, type TaskState } from '../../src/engine/types.js';
import { validateState } from '../../src/engine/validate.js';
import { viewGraph } from '../../src/graph/analyze.js';
import { prepareGraph } from '../../src/graph/prepare.js';
import { task } from '../../src/graph/spec.js';

const STATES: TaskState[] = [
  'released',
  'waiting',
  'queued',
  'processing',
  'memory',
  'erred',
  'forgotten',
];

const record = (key: string): TaskRecord => new TaskRecord(key, null, [], 0, new TaskGroup(key));

describe('transition', () => {
  it('refuses an illegal transition, naming the task and both states', () => {
    const t = record('inc-1');
    t.state = 'processing';
    expect(() => transition(t, 'forgotten')).toThrow(
      "Illegal transition of task 'inc-1': processing -> forgotten",
    );
    expect(t.state).toBe('processing');
  });

  it('makes every transition the table lists, and no other', () => {
    for (const from of STATES) {
      for (const to of STATES) {
        const t = record('x');
        t.state = from;
        if (TRANSITIONS[from][to] !== undefined) {
          transition(t, to);
          expect(t.state).toBe(to);
        } else {
          expect(() => transition(t, to)).toThrow(`${from} -> ${to}`);
        }
      }
    }
  });

  it('lets nothing leave forgotten, and nothing stay where it is', () => {
    expect(TRANSITIONS.forgotten).toEqual({});
    for (const s of STATES) expect(TRANSITIONS[s][s]).toBeUndefined();
  });
});

describe('per-worker books', () => {
  it('assignTask and unassignTask keep the counts and the index in step', () => {
    const w = new WorkerRecord('a', 1, { GPU: 2 }, 'a');
    const t = record('x');
    t.estimate = 10;
    t.options = { resources: { GPU: 1 } };
    assignTask(t, w);
    expect([w.nprocessing, w.occupancy, w.usedResources.get('GPU')]).toEqual([1, 10, 1]);
    expect(w.processing.has(t)).toBe(true);
    unassignTask(t, w);
    expect([w.nprocessing, w.occupancy, w.usedResources.get('GPU')]).toEqual([0, 0, 0]);
    expect(w.processing.size).toBe(0);
  });

  it('addHolder, removeHolder and clearHolders keep holders, bytes and keys in step', () => {
    const a = new WorkerRecord('a', 1, {}, 'a');
    const b = new WorkerRecord('b', 1, {}, 'b');
    const t = record('x');
    t.nbytes = 100;
    t.holders = [];
    addHolder(t, a);
    addHolder(t, b);
    expect([a.nkeys, a.nbytes, b.nkeys]).toEqual([1, 100, 1]);
    expect(removeHolder(t, a)).toBe(true);
    expect(removeHolder(t, a)).toBe(false);
    expect([a.nkeys, a.nbytes]).toEqual([0, 0]);
    expect(clearHolders(t)).toEqual([b]);
    expect([t.holders, b.nkeys, b.nbytes]).toEqual([null, 0, 0]);
  });

  it('a worker leaving moves only its own runs and loses only its own data', () => {
    const engine = new Engine({ validate: validateState });
    engine.handle({ type: 'worker-added', worker: 'a', nthreads: 1 });
    engine.handle({ type: 'worker-added', worker: 'b', nthreads: 1 });
    const inc = (x: number): number => x + 1;
    const graph = viewGraph({ x: task(inc, 1), y: task(inc, 2), z: task(inc, 'x') });
    const batch = prepareGraph(graph, ['y', 'z']);
    const out = engine.handle({ type: 'graph-submitted', client: 'c', batch, wanted: ['y', 'z'] });
    const on = new Map(
      out.flatMap((i) => (i.type === 'execute' ? [[i.key, i.worker] as const] : [])),
    );
    const a = engine.workers.get('a') as WorkerRecord;
    expect([...a.processing].map((t) => t.key).sort()).toEqual(
      [...on]
        .filter(([, w]) => w === 'a')
        .map(([k]) => k)
        .sort(),
    );
    const victim = on.get('y') as string;
    const survivor = engine.workers.get(victim === 'a' ? 'b' : 'a') as WorkerRecord;
    const before = [...survivor.processing];
    engine.handle({ type: 'worker-removed', worker: victim, reason: 'closed' });
    expect([...survivor.processing].slice(0, before.length)).toEqual(before);
    const y = engine.tasks.get('y') as TaskRecord;
    expect(y.processingOn === null || y.processingOn === survivor).toBe(true);
    expect(y.state === 'queued' || y.state === 'processing').toBe(true);
  });
});
