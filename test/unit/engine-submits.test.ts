/**
 * Several submissions in one engine step (a client's tick of submits at the cluster): with
 * `onRefused`, a refused one is handed its error and leaves nothing behind, and the others of
 * the step are scheduled; without it the step throws, as before. validateState runs after
 * every step.
 */
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import type { GraphSubmitted, Instruction } from '../../src/engine/types.js';
import { validateState } from '../../src/engine/validate.js';
import { isBaskError } from '../../src/errors.js';
import { viewGraph } from '../../src/graph/analyze.js';
import { prepareGraph } from '../../src/graph/prepare.js';
import { ref, task } from '../../src/graph/spec.js';

const f = (..._args: unknown[]): number => 0;

function submission(
  graph: Record<string, unknown>,
  wanted: string[],
  onRefused?: (error: unknown) => void,
): GraphSubmitted {
  const batch = prepareGraph(viewGraph(graph), wanted, { isExternal: () => true });
  return {
    type: 'graph-submitted',
    client: 'c',
    batch,
    wanted,
    ...(onRefused !== undefined ? { onRefused } : {}),
  };
}

function executed(ins: Instruction[]): string[] {
  return ins.flatMap((i) => (i.type === 'execute' ? [i.key] : [])).sort();
}

describe('submissions in one step', () => {
  it('refuses one alone and schedules the others', () => {
    const engine = new Engine({ validate: validateState });
    engine.handle({ type: 'worker-added', worker: 'w', nthreads: 4 });
    const refused: unknown[] = [];
    const ins = engine.handleMany([
      submission({ a: task(f) }, ['a'], (e) => refused.push(e)),
      // Needs 'ghost', which the engine does not know.
      submission({ b: task(f, ref('ghost')) }, ['b'], (e) => refused.push(e)),
      submission({ c: task(f, ref('a')) }, ['c'], (e) => refused.push(e)),
    ]);
    expect(refused).toHaveLength(1);
    expect(isBaskError(refused[0], 'ERR_MISSING_KEY')).toBe(true);
    expect(engine.tasks.has('b')).toBe(false);
    // 'c' may be sent right behind 'a' on the same worker (pipelined).
    expect(executed(ins)).toContain('a');
    expect(executed(ins)).not.toContain('b');
    engine.handle({ type: 'task-finished', key: 'a', worker: 'w', nbytes: 8, duration: 0.001 });
    expect(engine.tasks.get('c')?.state).toBe('processing');
    engine.handle({ type: 'task-finished', key: 'c', worker: 'w', nbytes: 8, duration: 0.001 });
    expect(engine.tasks.get('c')?.state).toBe('memory');
  });

  it('throws the refusal when no onRefused is given', () => {
    const engine = new Engine({ validate: validateState });
    expect(() => engine.handleMany([submission({ b: task(f, ref('ghost')) }, ['b'])])).toThrow(
      /ghost/,
    );
  });
});

describe("a client's wants", () => {
  it('follows wants, releases and wants again, and a client leaving releases what is left', () => {
    const engine = new Engine({ validate: validateState });
    engine.handle({ type: 'worker-added', worker: 'w', nthreads: 1 });
    const graph: Record<string, unknown> = {};
    const keys = Array.from({ length: 200 }, (_, i) => `t${i}`);
    for (const k of keys) graph[k] = task(f);
    engine.handle(submission(graph, keys));
    // Most released one by one: the list is compacted along the way (validateState checks it).
    engine.handle({ type: 'keys-released', client: 'c', keys: keys.slice(0, 150) });
    // Wanted again: listed once more, counted once.
    engine.handle(submission({ t0: task(f), t1: task(f) }, ['t0', 't1']));
    engine.handle(submission({ t1: task(f) }, ['t1']));
    expect(engine.clientWants.get('c')?.live).toBe(52);
    expect(engine.tasks.get('t0')?.wantedBy).toEqual(['c']);
    engine.handle({ type: 'client-removed', client: 'c' });
    expect(engine.clientWants.has('c')).toBe(false);
    expect(engine.tasks.size).toBe(0);
  });
});
