/**
 * Reduction fusion (graph/fuse.ts with `aveWidth` > 1, what pools apply by default): a task's
 * branches fuse into it while the fused task stays narrow; roots stay their own tasks;
 * requested keys keep their names and values; errors name the branch that failed.
 */
import { describe, expect, it } from 'vitest';
import { fuse } from '../../src/graph/algorithms.js';
import { viewGraph } from '../../src/graph/analyze.js';
import { SCHEDULER_FUSE } from '../../src/graph/fuse.js';
import { binaryOps, getattr, methodcall } from '../../src/graph/ops.js';
import { prepareGraph, type GraphBatch } from '../../src/graph/prepare.js';
import { ref, task, type Graph } from '../../src/graph/spec.js';
import { evaluate } from '../../src/worker/execute.js';
import { isBaskError } from '../../src/errors.js';
import { thrown } from '../helpers.js';

const inc = (x: number): number => x + 1;
const add = (...xs: number[]): number => xs.reduce((s, x) => s + x, 0);
const frame = (): { high: number[]; low: number[]; index: string[] } => ({
  high: [3, 9, 4],
  low: [2, 1, 5],
  index: ['d0', 'd1', 'd2'],
});
const max = (xs: number[]): number => Math.max(...xs);
const min = (xs: number[]): number => Math.min(...xs);

/** The seed's graph for one file, as `delayed` records it (8 tasks). */
function seedGraph(): Graph {
  return {
    df: task(frame),
    hi: task(getattr, ref('df'), 'high'),
    hmax: task(max, ref('hi')),
    lo: task(getattr, ref('df'), 'low'),
    lmin: task(min, ref('lo')),
    spread: task(binaryOps.sub, ref('hmax'), ref('lmin')),
    idx: task(getattr, ref('df'), 'index'),
    day: task(methodcall, ref('idx'), 'at', 0),
  };
}

/** Runs a batch in priority order, as a worker would: key -> value. */
function runBatch(batch: GraphBatch): Map<string, unknown> {
  const store = new Map<string, unknown>();
  batch.keys.forEach((key, i) => store.set(key, evaluate(batch.specs[i], store)));
  return store;
}

describe('fuse: reductions', () => {
  it("fuses the seed's 8 tasks per file into 3, keeping the requested keys and values", () => {
    const graph = seedGraph();
    const fused = fuse(graph, ['spread', 'day'], SCHEDULER_FUSE);
    expect([...fused.keys()].sort()).toEqual(['day', 'df', 'spread']);
    const batch = prepareGraph(viewGraph(graph), ['spread', 'day'], { fuse: SCHEDULER_FUSE });
    expect(batch.keys).toHaveLength(3);
    // The fused task needs the frame once, though two of its branches read it.
    const spread = batch.keys.indexOf('spread');
    expect(batch.depList.slice(batch.depStart[spread], batch.depStart[spread + 1])).toEqual(
      Int32Array.from([batch.keys.indexOf('df')]),
    );
    const values = runBatch(batch);
    expect(values.get('spread')).toBe(8);
    expect(values.get('day')).toBe('d0');
    const plain = runBatch(prepareGraph(viewGraph(graph), ['spread', 'day']));
    expect(plain.get('spread')).toBe(8);
  });

  it('keeps the default (fuse: true, aveWidth 1) to linear chains', () => {
    const batch = prepareGraph(viewGraph(seedGraph()), ['spread', 'day'], { fuse: true });
    // hi->hmax, lo->lmin and idx->day fuse; sub keeps its two inputs.
    expect([...batch.keys].sort()).toEqual(['day', 'df', 'hmax', 'lmin', 'spread']);
  });

  it('never fuses a requested key away', () => {
    const fused = fuse(seedGraph(), ['spread', 'hmax', 'day'], SCHEDULER_FUSE);
    expect(fused.has('hmax')).toBe(true);
    expect(fused.has('spread')).toBe(true);
  });

  it('leaves roots (tasks that make their own inputs) as their own tasks', () => {
    const graph = {
      a: task(inc, 1),
      b: task(inc, 2),
      c: task(inc, ref('a')),
      total: task(add, ref('c'), ref('b')),
    };
    // a -> c is a chain (c then depends on nothing): still a source, so it stays apart too.
    expect([...fuse(graph, ['total'], SCHEDULER_FUSE).keys()].sort()).toEqual(['b', 'c', 'total']);
  });

  it('fuses a reduction whole or not at all, at aveWidth tasks per level of height', () => {
    const reduction = (n: number): Record<string, unknown> => {
      const graph: Record<string, unknown> = { x: task(inc, 0) };
      const branches = Array.from({ length: n }, (_, k) => `b${k}`);
      for (const b of branches) graph[b] = task(inc, ref('x'));
      graph['total'] = task(add, ...branches.map((b) => ref(b)));
      return graph;
    };
    // total and 3 branches: 4 tasks over 2 levels, fused.
    expect(fuse(reduction(3), ['total'], { aveWidth: 2 }).size).toBe(2);
    // total and 5 branches: 6 tasks over 2 levels, too wide: none fuses (not 3 of the 5, which
    // would make the task count depend on how many branches a reduction has).
    const wide = reduction(5);
    expect(fuse(wide, ['total'], { aveWidth: 2 }).size).toBe(7);
    const values = runBatch(prepareGraph(viewGraph(wide), ['total'], { fuse: { aveWidth: 2 } }));
    expect(values.get('total')).toBe(10);
  });

  it('names the failing branch in the error, not the task it was fused into', () => {
    const graph = {
      ...seedGraph(),
      lmin: task((xs: number[]) => {
        if (xs.length > 0) throw new RangeError('no minimum today');
        return 0;
      }, ref('lo')),
    };
    const batch = prepareGraph(viewGraph(graph), ['spread'], { fuse: SCHEDULER_FUSE });
    expect(batch.keys).toEqual(['df', 'spread']);
    const error = thrown(() => runBatch(batch));
    expect(isBaskError(error) && error.code).toBe('ERR_TASK_FAILED');
    expect((error as { key?: string }).key).toBe('lmin');
    expect((error as Error).message).toContain("Task 'lmin' failed: RangeError: no minimum today");
  });
});
