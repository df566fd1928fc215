/**
 * What clients ask of the engine besides submitting and releasing (engine/requests.ts):
 * cancelling (with the dependents no other client wants), retrying erred keys (with the erred
 * tasks they depend on), and loose worker restrictions (`allowOtherWorkers`). State asserted
 * as data; validateState runs after every event.
 */
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import type { Instruction, TaskOptions } from '../../src/engine/types.js';
import { validateState } from '../../src/engine/validate.js';
import { isBaskError } from '../../src/errors.js';
import { viewGraph } from '../../src/graph/analyze.js';
import { prepareGraph } from '../../src/graph/prepare.js';
import { ref, task } from '../../src/graph/spec.js';

const f = (..._args: unknown[]): number => 0;

function engineWith(workers: [string, number][]): Engine {
  const engine = new Engine({ validate: validateState });
  for (const [id, nthreads] of workers)
    engine.handle({ type: 'worker-added', worker: id, nthreads });
  return engine;
}

function submit(
  engine: Engine,
  graph: Record<string, unknown>,
  wanted: string[],
  client = 'c',
  options?: Map<string, TaskOptions>,
): Instruction[] {
  const batch = prepareGraph(viewGraph(graph), wanted, { isExternal: (k) => engine.tasks.has(k) });
  return engine.handle({
    type: 'graph-submitted',
    client,
    batch,
    wanted,
    ...(options !== undefined ? { options } : {}),
  });
}

function executes(ins: Instruction[]): string[] {
  return ins.flatMap((i) => (i.type === 'execute' ? [`${i.key}@${i.worker}`] : []));
}

function reports(ins: Instruction[]): string[] {
  return ins.flatMap((i) =>
    i.type === 'report'
      ? [
          `${i.client}:${i.key}:${i.state}${i.state === 'erred' && isBaskError(i.error, 'ERR_CANCELLED') ? ':cancelled' : ''}`,
        ]
      : [],
  );
}

describe('engine: client requests', () => {
  it('cancels a key with the dependents only its client wants, reporting those', () => {
    const engine = engineWith([['w', 1]]);
    submit(engine, { a: task(f), b: task(f, ref('a')), c: task(f, ref('b')) }, ['a', 'c']);
    submit(engine, { d: task(f, ref('a')) }, ['d'], 'other');
    const ins = engine.handle({ type: 'keys-cancelled', client: 'c', keys: ['a'] });
    // a is cancelled by its client (which knows); b is an intermediate; c is reported; d is
    // another client's, so 'a' stays for it.
    expect(reports(ins)).toEqual(['c:c:erred:cancelled']);
    expect(engine.tasks.has('c')).toBe(false);
    expect(engine.tasks.has('b')).toBe(false);
    expect(engine.tasks.get('a')?.state).toBe('processing');
    expect(engine.tasks.get('d')?.state).toBe('waiting');
  });

  it('only releases a key another client wants too, taking nothing with it', () => {
    const engine = engineWith([['w', 1]]);
    submit(engine, { a: task(f), b: task(f, ref('a')) }, ['a', 'b']);
    submit(engine, { a: task(f) }, ['a'], 'other');
    const ins = engine.handle({ type: 'keys-cancelled', client: 'c', keys: ['a'] });
    expect(reports(ins)).toEqual([]);
    expect(engine.tasks.get('a')?.wantedBy).toEqual(['other']);
    expect(engine.tasks.get('b')?.wantedBy).toEqual(['c']);
  });

  it('cancels a finished key and a finished dependent, freeing their data', () => {
    const engine = engineWith([['w', 1]]);
    submit(engine, { a: task(f), b: task(f, ref('a')) }, ['a', 'b']);
    engine.handle({ type: 'task-finished', key: 'a', worker: 'w', nbytes: 8, duration: 0.001 });
    engine.handle({ type: 'task-finished', key: 'b', worker: 'w', nbytes: 8, duration: 0.001 });
    const ins = engine.handle({ type: 'keys-cancelled', client: 'c', keys: ['a'] });
    expect(reports(ins)).toEqual(['c:b:erred:cancelled']);
    expect(ins.flatMap((i) => (i.type === 'free-keys' ? i.keys : [])).sort()).toEqual(['a', 'b']);
    expect(engine.tasks.size).toBe(0);
  });

  it('retries an erred key with the erred tasks its failure came from', () => {
    const engine = engineWith([['w', 1]]);
    submit(engine, { a: task(f), b: task(f, ref('a')), c: task(f, ref('b')) }, ['c']);
    engine.handle({ type: 'task-erred', key: 'a', worker: 'w', error: new Error('boom') });
    expect(['a', 'b', 'c'].map((k) => engine.tasks.get(k)?.state)).toEqual([
      'erred',
      'erred',
      'erred',
    ]);
    let ins = engine.handle({ type: 'keys-retried', client: 'c', keys: ['c'] });
    // b and c go with it (pipelined behind a on the one worker).
    expect(executes(ins)).toEqual(['a@w', 'b@w', 'c@w']);
    ins = engine.handle({ type: 'task-finished', key: 'a', worker: 'w', nbytes: 8, duration: 0 });
    ins = engine.handle({ type: 'task-finished', key: 'b', worker: 'w', nbytes: 8, duration: 0 });
    ins = engine.handle({ type: 'task-finished', key: 'c', worker: 'w', nbytes: 8, duration: 0 });
    expect(reports(ins)).toEqual(['c:c:memory']);
    // Retrying what did not fail does nothing.
    expect(engine.handle({ type: 'keys-retried', client: 'c', keys: ['c'] })).toEqual([]);
  });

  it('keeps loose worker restrictions while a named worker is there, and drops them if not', () => {
    const engine = engineWith([
      ['alice/0', 1],
      ['bob/0', 1],
    ]);
    const loose = (workers: string[]): Map<string, TaskOptions> =>
      new Map([['t', { workers, allowOtherWorkers: true }]]);
    let ins = submit(engine, { t: task(f) }, ['t'], 'c', loose(['bob']));
    expect(executes(ins)).toEqual(['t@bob/0']);
    ins = submit(engine, { u: task(f) }, ['u'], 'c', new Map([['u', { workers: ['carol'] }]]));
    expect(executes(ins)).toEqual([]);
    const engine2 = engineWith([['alice/0', 1]]);
    ins = submit(engine2, { t: task(f) }, ['t'], 'c', loose(['carol']));
    expect(executes(ins)).toEqual(['t@alice/0']);
  });
});
