/**
 * The engine as a state machine: events in, instructions out, state checked as plain data
 * (validateState runs after every event). No workers, no sockets.
 */
import { validateState } from '../../src/engine/validate.js';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import type { EngineEvent, Instruction } from '../../src/engine/types.js';
import { viewGraph } from '../../src/graph/analyze.js';
import { prepareGraph } from '../../src/graph/prepare.js';
import { ref, task } from '../../src/graph/spec.js';
import { isBaskError } from '../../src/errors.js';

const f = (..._args: unknown[]): number => 0;

function submit(
  engine: Engine,
  graph: Record<string, unknown>,
  wanted: string[],
  client = 'c',
): Instruction[] {
  const batch = prepareGraph(viewGraph(graph), wanted, { isExternal: (k) => engine.tasks.has(k) });
  return engine.handle({ type: 'graph-submitted', client, batch, wanted });
}

function executes(ins: Instruction[]): Extract<Instruction, { type: 'execute' }>[] {
  return ins.filter((i): i is Extract<Instruction, { type: 'execute' }> => i.type === 'execute');
}

function finish(
  engine: Engine,
  key: string,
  worker: string,
  nbytes = 8,
  duration = 0.001,
): Instruction[] {
  return engine.handle({ type: 'task-finished', key, worker, nbytes, duration });
}

function freed(ins: Instruction[]): string[] {
  return ins.flatMap((i) => (i.type === 'free-keys' ? i.keys : [])).sort();
}

function engineWith(workers: [string, number][], policy = {}): Engine {
  const engine = new Engine({ validate: validateState, policy });
  for (const [id, nthreads] of workers)
    engine.handle({ type: 'worker-added', worker: id, nthreads });
  return engine;
}

describe('engine', () => {
  it('runs a chain in order, reports the result and frees intermediates', () => {
    const engine = engineWith([['w', 1]], { exact: true });
    let ins = submit(engine, { a: task(f), b: task(f, ref('a')), c: task(f, ref('b')) }, ['c']);
    expect(executes(ins).map((i) => i.key)).toEqual(['a']);
    expect(engine.tasks.get('b')?.state).toBe('waiting');
    ins = finish(engine, 'a', 'w');
    expect(executes(ins).map((i) => i.key)).toEqual(['b']);
    ins = finish(engine, 'b', 'w');
    expect(executes(ins).map((i) => i.key)).toEqual(['c']);
    expect(freed(ins)).toEqual(['a']);
    ins = finish(engine, 'c', 'w');
    expect(ins).toContainEqual({
      type: 'report',
      client: 'c',
      key: 'c',
      state: 'memory',
      worker: 'w',
      nbytes: 8,
      // Ranked in batch order: a, b, c.
      rank: 2,
    });
    expect(freed(ins)).toEqual(['b']);
    expect(engine.countStates()).toEqual({ memory: 1, released: 2 });
    ins = engine.handle({ type: 'keys-released', client: 'c', keys: ['c'] });
    expect(freed(ins)).toEqual(['c']);
    expect(engine.tasks.size).toBe(0);
  });

  it('pipelines a chain to the worker running its first task, in one batch', () => {
    const engine = engineWith([['w', 1]]);
    let ins = submit(engine, { a: task(f), b: task(f, ref('a')), c: task(f, ref('b')) }, ['c']);
    expect(executes(ins).map((i) => i.key)).toEqual(['a', 'b', 'c']);
    expect(executes(ins).every((i) => i.fetch.length === 0)).toBe(true);
    expect(engine.tasks.get('c')?.waitingOn).toBe(1);
    ins = finish(engine, 'a', 'w');
    expect(executes(ins)).toEqual([]);
    ins = finish(engine, 'b', 'w');
    expect(freed(ins)).toEqual(['a']);
    ins = finish(engine, 'c', 'w');
    expect(ins.some((i) => i.type === 'report' && i.key === 'c')).toBe(true);
  });

  it('takes pipelined tasks back when their input fails and is retried', () => {
    const engine = engineWith([['w', 1]]);
    const batch = prepareGraph(viewGraph({ a: task(f), b: task(f, ref('a')) }), ['b']);
    const options = new Map([['a', { retries: 1 }]]);
    engine.handle({ type: 'graph-submitted', client: 'c', batch, wanted: ['b'], options });
    const ins = engine.handle({
      type: 'task-erred',
      key: 'a',
      worker: 'w',
      error: new Error('flaky'),
    });
    expect(ins).toContainEqual({ type: 'cancel-task', worker: 'w', key: 'b' });
    expect(executes(ins).map((i) => i.key)).toEqual(['a', 'b']);
  });

  it('keeps data that another client still wants', () => {
    const engine = engineWith([['w', 1]]);
    submit(engine, { a: task(f) }, ['a'], 'one');
    submit(engine, { a: task(f) }, ['a'], 'two');
    const ins = finish(engine, 'a', 'w');
    expect(
      ins
        .filter((i) => i.type === 'report')
        .map((i) => (i as { client: string }).client)
        .sort(),
    ).toEqual(['one', 'two']);
    expect(freed(engine.handle({ type: 'keys-released', client: 'one', keys: ['a'] }))).toEqual([]);
    expect(freed(engine.handle({ type: 'client-removed', client: 'two' }))).toEqual(['a']);
    expect(engine.tasks.size).toBe(0);
  });

  it('reports a result that is already in memory at submission', () => {
    const engine = engineWith([['w', 1]]);
    submit(engine, { a: task(f) }, ['a'], 'one');
    finish(engine, 'a', 'w');
    const ins = submit(engine, { a: task(f) }, ['a'], 'two');
    expect(ins).toContainEqual({
      type: 'report',
      client: 'two',
      key: 'a',
      state: 'memory',
      worker: 'w',
      nbytes: 8,
      // The record client 'one' made: its rank, not a new one.
      rank: 0,
    });
  });

  it('sends one task per thread while durations are unknown, then batches tiny tasks', () => {
    const engine = engineWith([['w', 2]]);
    const graph: Record<string, unknown> = {};
    for (let i = 0; i < 100; i++) graph[`t-${i}`] = task(f, i);
    let ins = submit(engine, graph, Object.keys(graph));
    expect(executes(ins)).toHaveLength(2);
    finish(engine, 't-0', 'w', 8, 1e-6);
    ins = finish(engine, 't-1', 'w', 8, 1e-6);
    expect(executes(ins).length).toBeGreaterThan(10);
    expect(engine.workers.get('w')?.nprocessing).toBeLessThanOrEqual(2 * 1001);
  });

  it('runs strictly one task at a time in exact mode (the sync scheduler)', () => {
    const engine = engineWith([['w', 1]], { exact: true });
    const graph: Record<string, unknown> = {};
    for (let i = 0; i < 10; i++) graph[`t-${i}`] = task(f, i);
    let ins = submit(engine, graph, Object.keys(graph));
    expect(executes(ins).map((i) => i.key)).toEqual(['t-0']);
    ins = finish(engine, 't-0', 'w', 8, 1e-6);
    expect(executes(ins).map((i) => i.key)).toEqual(['t-1']);
  });

  it('places a dependent where its large input is and fetches the small one', () => {
    const engine = engineWith([
      ['w1', 1],
      ['w2', 1],
    ]);
    let ins = submit(
      engine,
      { big: task(f, 1), small: task(f, 2), use: task(f, ref('big'), ref('small')) },
      ['use'],
    );
    const placed = new Map(executes(ins).map((i) => [i.key, i.worker]));
    const bigOn = placed.get('big') as string;
    const smallOn = placed.get('small') as string;
    expect(bigOn).not.toBe(smallOn);
    finish(engine, 'big', bigOn, 50e6);
    ins = finish(engine, 'small', smallOn, 10);
    const [use] = executes(ins);
    expect(use?.worker).toBe(bigOn);
    expect(use?.fetch).toEqual([{ key: 'small', from: smallOn, move: true }]);
  });

  it('fails a task and every dependent with the same error, and reports it', () => {
    const engine = engineWith([['w', 1]]);
    submit(engine, { a: task(f), b: task(f, ref('a')), c: task(f, ref('b')), d: task(f) }, [
      'c',
      'd',
    ]);
    const error = new Error('boom');
    const ins = engine.handle({ type: 'task-erred', key: 'a', worker: 'w', error });
    expect(ins).toContainEqual({
      type: 'report',
      client: 'c',
      key: 'c',
      state: 'erred',
      error,
      blame: 'a',
    });
    expect(engine.tasks.get('b')?.state).toBe('erred');
  });

  it('retries a failed task before failing it', () => {
    const engine = engineWith([['w', 1]]);
    const batch = prepareGraph(viewGraph({ a: task(f) }), ['a']);
    engine.handle({
      type: 'graph-submitted',
      client: 'c',
      batch,
      wanted: ['a'],
      defaults: { retries: 1 },
    });
    let ins = engine.handle({
      type: 'task-erred',
      key: 'a',
      worker: 'w',
      error: new Error('once'),
    });
    expect(executes(ins).map((i) => i.key)).toEqual(['a']);
    ins = engine.handle({ type: 'task-erred', key: 'a', worker: 'w', error: new Error('twice') });
    expect(ins.some((i) => i.type === 'report' && i.state === 'erred')).toBe(true);
  });

  it('reschedules running work and recomputes lost data when a worker dies', () => {
    const engine = engineWith([
      ['w1', 1],
      ['w2', 1],
    ]);
    let ins = submit(engine, { a: task(f), b: task(f), c: task(f, ref('a'), ref('b')) }, ['c']);
    const on = new Map(executes(ins).map((i) => [i.key, i.worker]));
    finish(engine, 'a', on.get('a') as string);
    const bWorker = on.get('b') as string;
    const aWorker = on.get('a') as string;
    // The worker holding 'a' dies while 'b' still runs elsewhere: 'a' must be recomputed.
    ins = engine.handle({ type: 'worker-removed', worker: aWorker, running: [] });
    // The only worker left is busy with 'b' (durations unknown: one task per thread).
    expect(engine.tasks.get('a')?.state).toBe('queued');
    expect(engine.tasks.get('c')?.state).toBe('waiting');
    ins = finish(engine, 'b', bWorker);
    // 'a' goes to the last worker, and 'c' right behind it (pipelined).
    expect(executes(ins).map((i) => [i.key, i.worker])).toEqual([
      ['a', bWorker],
      ['c', bWorker],
    ]);
    ins = finish(engine, 'a', bWorker);
    expect(executes(ins)).toEqual([]);
    ins = finish(engine, 'c', bWorker);
    expect(ins.some((i) => i.type === 'report' && i.key === 'c')).toBe(true);
  });

  it('fails a task that was running on three workers that died with ERR_KILLED_WORKER', () => {
    const engine = engineWith([['w1', 1]]);
    submit(engine, { bomb: task(f) }, ['bomb']);
    let ins: Instruction[] = [];
    for (let i = 1; i <= 3; i++) {
      ins = engine.handle({ type: 'worker-removed', worker: `w${i}`, running: ['bomb'] });
      if (i < 3) engine.handle({ type: 'worker-added', worker: `w${i + 1}`, nthreads: 1 });
    }
    const report = ins.find((i) => i.type === 'report');
    expect(
      report?.type === 'report' &&
        report.state === 'erred' &&
        isBaskError(report.error, 'ERR_KILLED_WORKER'),
    ).toBe(true);
  });

  it('runs a suspicious task alone when it is unknown which task killed a worker', () => {
    const engine = engineWith([['w1', 4]]);
    submit(engine, { a: task(f), b: task(f) }, ['a', 'b']);
    engine.handle({ type: 'worker-added', worker: 'w2', nthreads: 4 });
    const ins = engine.handle({ type: 'worker-removed', worker: 'w1' });
    // Both are suspicious now; only one may run on the idle worker.
    expect(executes(ins)).toHaveLength(1);
  });

  it('cancels work nobody wants any more and drops its late result', () => {
    const engine = engineWith([['w', 1]]);
    submit(engine, { a: task(f), b: task(f, ref('a')) }, ['b']);
    let ins = engine.handle({ type: 'keys-released', client: 'c', keys: ['b'] });
    expect(ins).toContainEqual({ type: 'cancel-task', worker: 'w', key: 'a' });
    expect(engine.tasks.size).toBe(0);
    ins = finish(engine, 'a', 'w');
    expect(freed(ins)).toEqual(['a']);
  });

  it('honours worker restrictions and resources', () => {
    const engine = new Engine({ validate: validateState });
    engine.handle({ type: 'worker-added', worker: 'cpu', nthreads: 2 });
    engine.handle({ type: 'worker-added', worker: 'gpu', nthreads: 2, resources: { GPU: 1 } });
    const batch = prepareGraph(viewGraph({ g1: task(f, 1), g2: task(f, 2), pinned: task(f, 3) }), [
      'g1',
      'g2',
      'pinned',
    ]);
    const options = new Map([
      ['g1', { resources: { GPU: 1 } }],
      ['g2', { resources: { GPU: 1 } }],
      ['pinned', { workers: ['cpu'] }],
    ]);
    let ins = engine.handle({
      type: 'graph-submitted',
      client: 'c',
      batch,
      wanted: ['g1', 'g2', 'pinned'],
      options,
    });
    const placed = executes(ins).map((i): [string, string] => [i.key, i.worker]);
    expect(placed).toContainEqual(['pinned', 'cpu']);
    expect(placed.filter(([, w]) => w === 'gpu')).toHaveLength(1);
    const first = placed.find(([k]) => k.startsWith('g'))?.[0] as string;
    ins = finish(engine, first, 'gpu');
    expect(executes(ins).map((i) => [i.key, i.worker])).toEqual([
      [first === 'g1' ? 'g2' : 'g1', 'gpu'],
    ]);
  });

  it('fails lost scattered data with ERR_DATA_LOST', () => {
    const engine = engineWith([
      ['w1', 1],
      ['w2', 1],
    ]);
    engine.handle({ type: 'data-scattered', client: 'c', key: 'x', worker: 'w1', nbytes: 8 });
    submit(engine, { y: task(f, ref('x')) }, ['y'], 'c');
    const ins = engine.handle({ type: 'worker-removed', worker: 'w1', reason: 'closed' });
    const report = ins.find((i) => i.type === 'report' && i.key === 'y');
    expect(
      report?.type === 'report' &&
        report.state === 'erred' &&
        isBaskError(report.error, 'ERR_DATA_LOST'),
    ).toBe(true);
  });

  it('re-runs a task whose input could not be fetched, recomputing the input', () => {
    const engine = engineWith([
      ['w1', 1],
      ['w2', 1],
    ]);
    const batch = prepareGraph(viewGraph({ a: task(f), b: task(f, ref('a')) }), ['b']);
    const options = new Map([
      ['a', { workers: ['w1'] }],
      ['b', { workers: ['w2'] }],
    ]);
    let ins = engine.handle({
      type: 'graph-submitted',
      client: 'c',
      batch,
      wanted: ['b'],
      options,
    });
    const aOn = executes(ins)[0]?.worker as string;
    ins = finish(engine, 'a', aOn);
    const bOn = executes(ins)[0]?.worker as string;
    expect(executes(ins)[0]?.fetch).toEqual([{ key: 'a', from: 'w1', move: true }]);
    ins = engine.handle({
      type: 'task-missing-data',
      key: 'b',
      worker: bOn,
      missing: [{ key: 'a', from: aOn }],
    });
    expect(engine.tasks.get('a')?.state).toBe('processing');
    expect(engine.tasks.get('b')?.state).toBe('waiting');
  });
});

describe('engine under random faults', () => {
  /** A deterministic PRNG so that failures reproduce. */
  function rng(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  for (let seed = 1; seed <= 25; seed++) {
    it(`computes correct results with workers dying at random (seed ${seed})`, () => {
      const random = rng(seed);
      const n = 60;
      const graph: Record<string, unknown> = {};
      const deps: string[][] = [];
      for (let i = 0; i < n; i++) {
        const d =
          i === 0
            ? []
            : Array.from(
                { length: Math.floor(random() * 3) },
                () => `t-${Math.floor(random() * i)}`,
              );
        deps.push([...new Set(d)]);
        graph[`t-${i}`] = task(f, ...deps[i]!.map((k) => ref(k)));
      }
      const value = (i: number): number =>
        1 + deps[i]!.reduce((s, k) => s + value(Number(k.slice(2))), 0);
      const wanted = [`t-${n - 1}`, `t-${n - 2}`, `t-${Math.floor(n / 2)}`];
      const engine = new Engine({ validate: validateState, allowedFailures: 1000 });
      const data = new Map<string, Map<string, number>>();
      const running = new Map<string, { key: string; fetch: { key: string; from: string }[] }[]>();
      let nextWorker = 0;
      const pending: Instruction[] = [];
      const results = new Map<string, number>();
      const handle = (event: EngineEvent): void => {
        pending.push(...engine.handle(event));
      };
      const addWorker = (): void => {
        const id = `w${nextWorker++}`;
        data.set(id, new Map());
        running.set(id, []);
        handle({ type: 'worker-added', worker: id, nthreads: 1 + Math.floor(random() * 2) });
      };
      addWorker();
      addWorker();
      handle({
        type: 'graph-submitted',
        client: 'c',
        batch: prepareGraph(viewGraph(graph), wanted),
        wanted,
      });
      for (let step = 0; step < 5000 && results.size < wanted.length; step++) {
        while (pending.length > 0) {
          const ins = pending.shift() as Instruction;
          if (ins.type === 'execute')
            running.get(ins.worker)?.push({ key: ins.key, fetch: [...ins.fetch] });
          else if (ins.type === 'free-keys')
            for (const k of ins.keys) data.get(ins.worker)?.delete(k);
          else if (ins.type === 'cancel-task') {
            const queue = running.get(ins.worker);
            if (queue !== undefined)
              running.set(
                ins.worker,
                queue.filter((t) => t.key !== ins.key),
              );
          } else if (ins.type === 'report' && ins.state === 'memory') {
            const v = data.get(ins.worker)?.get(ins.key);
            if (v !== undefined) results.set(ins.key, v);
          } else if (ins.type === 'report' && ins.state === 'erred') throw ins.error;
        }
        const r = random();
        const ids = [...running.keys()];
        if (r < 0.03 && ids.length > 1) {
          const victim = ids[Math.floor(random() * ids.length)] as string;
          running.delete(victim);
          data.delete(victim);
          handle({ type: 'worker-removed', worker: victim });
          if (random() < 0.8) addWorker();
          continue;
        }
        // One worker runs its oldest task: fetch inputs (maybe missing), compute, report.
        const busy = ids.filter((id) => (running.get(id)?.length ?? 0) > 0);
        if (busy.length === 0) continue;
        const id = busy[Math.floor(random() * busy.length)] as string;
        const job = running.get(id)?.shift();
        if (job === undefined) continue;
        const store = data.get(id) as Map<string, number>;
        const missing = job.fetch.filter((f2) => data.get(f2.from)?.get(f2.key) === undefined);
        if (missing.length > 0) {
          handle({ type: 'task-missing-data', key: job.key, worker: id, missing });
          continue;
        }
        for (const f2 of job.fetch) store.set(f2.key, data.get(f2.from)?.get(f2.key) as number);
        const i = Number(job.key.slice(2));
        const v = 1 + deps[i]!.reduce((s, k) => s + (store.get(k) as number), 0);
        store.set(job.key, v);
        handle({ type: 'task-finished', key: job.key, worker: id, nbytes: 8, duration: 0.001 });
      }
      for (const key of wanted) expect(results.get(key)).toBe(value(Number(key.slice(2))));
    });
  }
});
