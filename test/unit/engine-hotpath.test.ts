/**
 * The engine's and the graph layer's fast paths keep their semantics: a flat task's refs read
 * in place, a batch's outputs, wanted keys found by position or refused, the lazy processing
 * index and its lookup of a result's task (`near`).
 */
import { describe, expect, it } from 'vitest';
import { BaseEngine, Engine } from '../../src/engine/engine.js';
import { LazyIndex } from '../../src/engine/held.js';
import type { TaskRecord, WorkerRecord } from '../../src/engine/types.js';
import { validateState } from '../../src/engine/validate.js';
import { indexGraph, viewGraph, type GraphView } from '../../src/graph/analyze.js';
import { nodeDependencies } from '../../src/graph/deps.js';
import { prepareGraph } from '../../src/graph/prepare.js';
import { ref, task } from '../../src/graph/spec.js';
import { isBaskError } from '../../src/errors.js';
import { thrown } from '../helpers.js';

const f = (...args: unknown[]): unknown => args;

/** The same graph behind a view whose `deps` is not the plain graph's (delayed's kind). */
function customView(graph: Record<string, unknown>): GraphView {
  const plain = viewGraph(graph);
  return {
    get: (k) => plain.get(k),
    has: (k) => plain.has(k),
    deps: (_k, n) => nodeDependencies(n),
  };
}

describe('indexing flat tasks in place', () => {
  it('gives the same rows as the dependency walk: repeats once, literals skipped, in order', () => {
    const graph = {
      a: 1,
      b: task(f, 2),
      c: task(f, ref('b'), 'a', ref('a'), ref('b'), new Date(0), null),
      d: task(f, ref('c'), [ref('a')]),
    };
    const fast = indexGraph(viewGraph(graph), ['d']);
    const walked = indexGraph(customView(graph), ['d']);
    expect(fast.keys).toEqual(walked.keys);
    expect([...fast.depStart]).toEqual([...walked.depStart]);
    expect([...fast.depList]).toEqual([...walked.depList]);
    const c = fast.keys.indexOf('c');
    const row = [...fast.depList.subarray(fast.depStart[c], fast.depStart[c + 1])];
    expect(row.map((id) => fast.keys[id])).toEqual(['b', 'a']);
  });

  it('names the first missing ref and who needed it, as before', () => {
    const error = thrown(() => indexGraph(viewGraph({ x: task(f, ref('y'), ref('z')) }), ['x']));
    expect(isBaskError(error) && error.code).toBe('ERR_MISSING_KEY');
    expect((error as Error).message).toContain("'y' is not in the graph (needed by 'x')");
  });

  it('keeps external refs as negative ids, once per key', () => {
    const index = indexGraph(viewGraph({ x: task(f, ref('e'), ref('e'), ref('y')), y: 1 }), ['x'], {
      isExternal: (k) => k === 'e',
    });
    expect(index.external).toEqual(['e']);
    expect([...index.depList].filter((d) => d < 0)).toEqual([-1]);
  });
});

describe('indexing outputs', () => {
  it('gives a repeated output the id it had, and indexes each key once', () => {
    const graph = { a: 1, b: task(f, ref('a')), c: task(f, ref('b')) };
    const index = indexGraph(viewGraph(graph), ['b', 'c', 'b', 'a', 'c']);
    expect(index.keys).toEqual(['b', 'c', 'a']);
    expect(index.outputs.map((id) => index.keys[id])).toEqual(['b', 'c', 'b', 'a', 'c']);
    const c = index.keys.indexOf('c');
    const row = [...index.depList.subarray(index.depStart[c], index.depStart[c + 1])];
    expect(row.map((id) => index.keys[id])).toEqual(['b']);
  });

  it('leaves an external output out and refuses a missing one, repeated or not', () => {
    const graph = { a: 1 };
    const index = indexGraph(viewGraph(graph), ['a', 'x', 'a'], { isExternal: (k) => k === 'x' });
    expect(index.keys).toEqual(['a']);
    expect(index.outputs).toEqual([0, 0]);
    for (const outputs of [['nope'], ['a', 'a', 'nope']]) {
      const error = thrown(() => indexGraph(viewGraph(graph), outputs));
      expect(isBaskError(error) && error.code).toBe('ERR_MISSING_KEY');
    }
  });
});

describe("a batch's outputs", () => {
  it('point at the wanted keys in priority order', () => {
    const graph = { a: 1, b: task(f, ref('a')), c: task(f, ref('b')), d: task(f, ref('a')) };
    const batch = prepareGraph(viewGraph(graph), ['c', 'd', 'c']);
    expect([...(batch.outputs ?? [])].map((p) => batch.keys[p])).toEqual(['c', 'd', 'c']);
  });

  it('serve the engine when they match the wanted keys, and are ignored when not', () => {
    for (const wanted of [['c'], ['b', 'c']]) {
      const engine = new Engine({ validate: validateState });
      engine.handle({ type: 'worker-added', worker: 'w', nthreads: 1 });
      const batch = prepareGraph(viewGraph({ a: 1, b: task(f, ref('a')), c: task(f, ref('b')) }), [
        'c',
      ]);
      engine.handle({ type: 'graph-submitted', client: 'x', batch, wanted });
      for (const key of wanted) expect(engine.tasks.get(key)?.wantedBy).toEqual(['x']);
    }
  });

  it('do not let a wanted key outside the batch in, with few or many wanted keys', () => {
    for (const extra of [1, 20]) {
      const engine = new BaseEngine({ validate: validateState });
      const graph: Record<string, unknown> = {};
      for (let i = 0; i < extra; i++) graph[`k${i}`] = i;
      const keys = Object.keys(graph);
      const batch = prepareGraph(viewGraph(graph), keys);
      const error = thrown(() =>
        engine.handle({ type: 'graph-submitted', client: 'x', batch, wanted: [...keys, 'nope'] }),
      );
      expect(isBaskError(error) && error.code).toBe('ERR_MISSING_KEY');
      expect(engine.tasks.size).toBe(0);
    }
  });
});

/** A task as the lazy index sees it: its key, and the worker that has it (the index's truth). */
interface Listed {
  key: string;
  on: string | null;
}

/** Worker 'w''s index of `n` tasks, t0 to t(n-1), each listed and on 'w'. */
function listed(n: number): { index: LazyIndex<Listed, string>; tasks: Listed[] } {
  const index = new LazyIndex<Listed, string>('w', (t, w) => t.on === w);
  const tasks = Array.from({ length: n }, (_, i): Listed => ({ key: `t${i}`, on: 'w' }));
  for (const t of tasks) index.add(t);
  return { index, tasks };
}

/** Task `t` leaves the worker (as state.ts tells the index). */
function leave(index: LazyIndex<Listed, string>, t: Listed): void {
  t.on = null;
  index.delete();
}

describe('the lazy processing index', () => {
  it('is exact through churn, repeats and a truth that changes under it', () => {
    const { index, tasks } = listed(200);
    for (const t of tasks.slice(0, 190)) leave(index, t);
    const back = tasks[5] as Listed;
    back.on = 'w';
    index.add(back);
    expect(index.size).toBe(11);
    expect(index.has(back)).toBe(true);
    expect(index.has(tasks[6] as Listed)).toBe(false);
    // In the order added since the last compaction: the one back comes last.
    expect([...index]).toEqual([...tasks.slice(190), back]);
  });

  it('finds a task by key near the one found last, and only one the owner has', () => {
    const { index, tasks } = listed(40);
    // In order: each is the next entry.
    for (const t of tasks.slice(0, 5)) {
      expect(index.near(t.key)).toBe(t);
      leave(index, t);
    }
    // Out of order, within reach: found; the ones skipped are left for a lookup by key.
    expect(index.near('t7')).toBe(tasks[7]);
    expect(index.near('t5')).toBeUndefined();
    // Beyond reach, or not the owner's any more: not found here.
    expect(index.near('t30')).toBeUndefined();
    leave(index, tasks[8] as Listed);
    expect(index.near('t8')).toBeUndefined();
    expect(index.near('nope')).toBeUndefined();
    // A task listed again after it left is found once it is back.
    (tasks[8] as Listed).on = 'w';
    index.add(tasks[8] as Listed);
    expect(index.near('t9')).toBe(tasks[9]);
    // Once the worker runs nothing, the search starts from the first entry again.
    for (const t of tasks) if (t.on === 'w') leave(index, t);
    const fresh = { key: 't0', on: 'w' };
    index.add(fresh);
    expect(index.near('t0')).toBe(fresh);
  });

  it('looks past the tasks the owner no longer has, however many', () => {
    const { index, tasks } = listed(30);
    // Twelve leave without being looked up (cancelled, moved): more than `near` looks at.
    for (const t of tasks.slice(0, 12)) leave(index, t);
    expect(index.near('t12')).toBe(tasks[12]);
    expect(index.near('t13')).toBe(tasks[13]);
  });

  it("moves a dead worker's runs, pipelined ones included", () => {
    const engine = new BaseEngine({ validate: validateState });
    engine.handle({ type: 'worker-added', worker: 'a', nthreads: 1 });
    const graph = { x: task(f, 1), y: task(f, ref('x')), z: task(f, ref('y')) };
    engine.handle({
      type: 'graph-submitted',
      client: 'c',
      batch: prepareGraph(viewGraph(graph), ['z']),
      wanted: ['z'],
    });
    const a = engine.workers.get('a') as WorkerRecord;
    expect([...a.processing].map((t: TaskRecord) => t.key)).toEqual(['x', 'y', 'z']);
    engine.handle({ type: 'worker-removed', worker: 'a', reason: 'closed' });
    expect(engine.countStates()).toEqual({ waiting: 2, queued: 1 });
  });
});

describe("a result's task", () => {
  it('is not taken for its key once forgotten: a late completion is dropped', () => {
    const engine = new BaseEngine({ validate: validateState });
    engine.handle({ type: 'worker-added', worker: 'w', nthreads: 1 });
    const submit = (key: string): void => {
      const batch = prepareGraph(viewGraph({ [key]: task(f, 1) }), [key]);
      engine.handle({ type: 'graph-submitted', client: 'c', batch, wanted: [key] });
    };
    const finish = (key: string): ReturnType<BaseEngine['handle']> =>
      engine.handle({ type: 'task-finished', key, worker: 'w', nbytes: 1, duration: 0 });
    submit('x');
    expect(finish('x').some((i) => i.type === 'report' && i.key === 'x')).toBe(true);
    engine.handle({ type: 'keys-released', client: 'c', keys: ['x'] });
    expect(engine.tasks.has('x')).toBe(false);
    const late = finish('x');
    expect(late).toEqual([{ type: 'free-keys', worker: 'w', keys: ['x'] }]);
    expect(engine.tasks.has('x')).toBe(false);
    submit('x');
    expect(finish('x').some((i) => i.type === 'report' && i.key === 'x')).toBe(true);
    expect(engine.tasks.get('x')?.state).toBe('memory');
  });

  it('is the live record when results come out of order, and after a key is submitted again', () => {
    const engine = new BaseEngine({ validate: validateState });
    engine.handle({ type: 'worker-added', worker: 'w', nthreads: 1 });
    const graph: Record<string, unknown> = {};
    for (let i = 0; i < 30; i++) graph[`k${i}`] = task(f, i);
    const keys = Object.keys(graph);
    const batch = prepareGraph(viewGraph(graph), keys);
    engine.handle({ type: 'graph-submitted', client: 'c', batch, wanted: keys });
    const finish = (key: string): ReturnType<BaseEngine['handle']> =>
      engine.handle({ type: 'task-finished', key, worker: 'w', nbytes: 1, duration: 0 });
    const reported = (out: ReturnType<BaseEngine['handle']>, key: string): boolean =>
      out.some((i) => i.type === 'report' && i.key === key);
    const running = [...(engine.workers.get('w') as WorkerRecord).processing].map((t) => t.key);
    // The last first, then the rest backwards: every one found and reported once.
    for (const key of [...running].reverse()) expect(reported(finish(key), key)).toBe(true);
    for (const key of running) expect(engine.tasks.get(key)?.state).toBe('memory');
    // Released and forgotten, then submitted again: the new record, not the listed old one.
    engine.handle({ type: 'keys-released', client: 'c', keys });
    const again = prepareGraph(viewGraph({ k3: task(f, 3) }), ['k3']);
    engine.handle({ type: 'graph-submitted', client: 'c', batch: again, wanted: ['k3'] });
    expect(reported(finish('k3'), 'k3')).toBe(true);
    expect(engine.tasks.get('k3')?.state).toBe('memory');
  });
});
