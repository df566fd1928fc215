/** A pool run's values find their place by their record's rank, else by key, once each. */
import { describe, expect, it } from 'vitest';
import { Computation, distinctWanted } from '../../src/local/computation.js';
import { viewGraph } from '../../src/graph/analyze.js';
import { prepareGraph } from '../../src/graph/prepare.js';
import { ref, task } from '../../src/graph/spec.js';

const f = (..._args: unknown[]): number => 0;

function computation(taskKeys: string[], wanted: string[]): Computation {
  return new Computation('run-1', taskKeys, wanted, [], undefined, 'threads');
}

describe('Computation', () => {
  it('places values by rank, counts a value delivered twice once, and keeps wanted order', async () => {
    const comp = computation(['a', 'b', 'c'], ['c', 'a']);
    comp.placed(10, Int32Array.from([2, 0]));
    comp.deliver('a', 'A', 10);
    comp.deliver('a', 'again', 10);
    expect(comp.settled).toBe(false);
    comp.deliver('c', 'C', 12);
    expect(await comp.promise).toEqual(['C', 'A']);
  });

  it('finds by key a value whose record is older than the run (another client made it)', async () => {
    const comp = computation(['a', 'b'], ['b', 'a']);
    comp.placed(100, Int32Array.from([1, 0]));
    // 'a' existed before: its rank is not in this batch's range.
    comp.deliver('a', 'A', 3);
    // A rank inside the range that names another key: found by key too.
    comp.deliver('b', 'B', 100);
    expect(await comp.promise).toEqual(['B', 'A']);
  });

  it('works by key alone when the batch gave no outputs, and ignores keys it does not want', async () => {
    const comp = computation(['x', 'y'], ['y']);
    comp.placed(0, undefined);
    comp.deliver('x', 'X', 0);
    expect(comp.settled).toBe(false);
    comp.deliver('y', 'Y', 1);
    expect(await comp.promise).toEqual(['Y']);
  });
});

describe('distinctWanted', () => {
  const graph = { a: task(f), b: task(f, ref('a')), c: task(f, ref('b')) };

  it('keeps keys asked once as they are, with their batch positions', () => {
    const batch = prepareGraph(viewGraph(graph), ['c', 'a']);
    const wanted = distinctWanted(['c', 'a'], batch);
    expect(wanted.keys).toEqual(['c', 'a']);
    expect(wanted.from).toBeUndefined();
    expect([...(wanted.outputs ?? [])].map((at) => batch.keys[at])).toEqual(['c', 'a']);
  });

  it('drops repeats and says where each key asked for finds its value', () => {
    const asked = ['b', 'c', 'b', 'b', 'a', 'c'];
    const batch = prepareGraph(viewGraph(graph), asked);
    const wanted = distinctWanted(asked, batch);
    expect(wanted.keys).toEqual(['b', 'c', 'a']);
    expect([...(wanted.from ?? [])]).toEqual([0, 1, 0, 0, 2, 1]);
    expect([...(wanted.outputs ?? [])].map((at) => batch.keys[at])).toEqual(['b', 'c', 'a']);
  });

  it('tells keys outside the batch (externals) apart by key', () => {
    const asked = ['x', 'c', 'x'];
    const batch = prepareGraph(viewGraph(graph), asked, { isExternal: (k) => k === 'x' });
    const wanted = distinctWanted(asked, batch);
    expect(wanted.keys).toEqual(['x', 'c']);
    expect(wanted.outputs).toBeUndefined();
    expect([...(wanted.from ?? [])]).toEqual([0, 1, 0]);
  });
});
