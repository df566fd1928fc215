/**
 * Dask's `GetFunctionTestMixin` (dask/utils_test.py), the tests Dask runs against every `get`,
 * restated for bask's graph spec, plus Dask's rule that tasks inside a literal node are
 * evaluated. Registered by `conformanceSuite`, so it runs on every scheduler.
 *
 * Where the spec differs: Dask's strings name keys when they match one; in bask strings are
 * always data, so a dependency is `ref(key)` and a node that is another key is `alias(key)`.
 * Dask's tuples of keys come back as tuples; bask's arrays of keys come back as arrays.
 */
import { describe, expect, it } from 'vitest';
import { alias, get, ref, task, type ComputeOptions } from '../../src/index.js';
import { tasks } from './tasks.js';

const { inc, add, sum, asyncInc, fail, describe: show } = tasks;

/** Registers the ported mixin and the literal-task tests for one scheduler. */
export function daskGetSuite(options: () => ComputeOptions): void {
  describe("Dask's GetFunctionTestMixin", () => {
    it('test_get', async () => {
      const d = { ':x': 1, ':y': task(inc, ref(':x')), ':z': task(add, ref(':x'), ref(':y')) };
      expect(await get(d, ':x', options())).toBe(1);
      expect(await get(d, ':y', options())).toBe(2);
      expect(await get(d, ':z', options())).toBe(3);
    });

    it('test_badkey', async () => {
      // Dask raises KeyError; bask rejects with ERR_MISSING_KEY naming the key.
      const d = { ':x': 1, ':y': task(inc, ref(':x')), ':z': task(add, ref(':x'), ref(':y')) };
      await expect(get(d, 'badkey', options())).rejects.toMatchObject({
        code: 'ERR_MISSING_KEY',
        key: 'badkey',
      });
    });

    it('test_nested_badkey', async () => {
      const d = { x: 1, y: 2, z: task(sum, [ref('x'), ref('y')]) };
      await expect(get(d, [['badkey'], 'y'], options())).rejects.toMatchObject({
        code: 'ERR_MISSING_KEY',
      });
    });

    it('test_data_not_in_dict_is_ok', async () => {
      const d = { x: 1, y: task(add, ref('x'), 10) };
      expect(await get(d, 'y', options())).toBe(11);
    });

    it('test_get_with_list', async () => {
      const d = { x: 1, y: 2, z: task(sum, [ref('x'), ref('y')]) };
      expect(await get(d, ['x', 'y'], options())).toEqual([1, 2]);
      expect(await get(d, 'z', options())).toBe(3);
    });

    it('test_get_with_list_top_level', async () => {
      const d = {
        a: [1, 2, 3],
        b: alias('a'),
        c: [1, task(inc, 1)],
        d: [task(sum, ref('a'))],
        e: [ref('a'), ref('b')],
        f: [[[task(sum, ref('a')), ref('c')], task(sum, ref('b'))], 2],
      };
      expect(await get(d, 'a', options())).toEqual([1, 2, 3]);
      expect(await get(d, 'b', options())).toEqual([1, 2, 3]);
      expect(await get(d, 'c', options())).toEqual([1, 2]);
      expect(await get(d, 'd', options())).toEqual([6]);
      expect(await get(d, 'e', options())).toEqual([
        [1, 2, 3],
        [1, 2, 3],
      ]);
      expect(await get(d, 'f', options())).toEqual([[[6, [1, 2]], 6], 2]);
    });

    it('test_get_with_nested_list', async () => {
      const d = { x: 1, y: 2, z: task(sum, [ref('x'), ref('y')]) };
      expect(await get(d, [['x'], 'y'], options())).toEqual([[1], 2]);
      expect(await get(d, 'z', options())).toBe(3);
    });

    it('test_get_works_with_unhashables_in_values', async () => {
      // A Set argument (Dask's unhashable {1}); the function ships as its source.
      const f = (x: number, y: ReadonlySet<number>): number => x + y.size;
      const d = { x: 1, y: task(f, ref('x'), new Set([1])) };
      expect(await get(d, 'y', options())).toBe(2);
    });

    it('test_nested_tasks', async () => {
      const d = { x: 1, y: task(inc, ref('x')), z: task(add, task(inc, ref('x')), ref('y')) };
      expect(await get(d, 'z', options())).toBe(4);
    });

    it('test_get_stack_limit', async () => {
      const d: Record<string, unknown> = { x0: 0 };
      for (let i = 0; i < 10_000; i++) d[`x${i + 1}`] = task(inc, ref(`x${i}`));
      expect(await get(d, 'x10000', options())).toBe(10_000);
    });

    it('test_with_HighLevelGraph', async () => {
      // bask has no HighLevelGraph: its layers, merged, make a graph (a Map works as one).
      const layers = {
        a: { x: 1, y: task(inc, ref('x')) },
        b: { z: task(add, task(inc, ref('x')), ref('y')) },
      };
      const graph = new Map<string, unknown>([
        ...Object.entries(layers.a),
        ...Object.entries(layers.b),
      ]);
      expect(await get(graph, 'z', options())).toBe(4);
    });
  });

  describe('tasks inside literals and args are evaluated (Dask semantics)', () => {
    it('evaluates a task in a literal object node, at any depth', async () => {
      const d = {
        o: { x: task(inc, 1), deep: { list: [task(add, 1, 2), 'text', { t: task(inc, 9) }] } },
      };
      expect(await get(d, 'o', options())).toEqual({
        x: 2,
        deep: { list: [3, 'text', { t: 10 }] },
      });
    });

    it('evaluates tasks nested in task args at any depth', async () => {
      const d = {
        a: task(add, task(inc, 1), 2),
        b: task(inc, task(inc, task(inc, task(inc, 0)))),
        c: task(show, { list: [task(inc, 1), [task(add, task(inc, 1), 10)]] }),
      };
      expect(await get(d, ['a', 'b', 'c'], options())).toEqual([
        4,
        4,
        JSON.stringify({ list: [2, [12]] }),
      ]);
    });

    it('feeds a literal holding tasks to its dependents', async () => {
      const d = { c: [1, task(inc, 1)], total: task(sum, ref('c')) };
      expect(await get(d, ['total', 'c'], options())).toEqual([3, [1, 2]]);
    });

    it('awaits async tasks inside literals and args', async () => {
      const d = {
        c: [task(asyncInc, 1), { v: task(asyncInc, 2) }],
        s: task(add, task(asyncInc, 1), task(add, task(asyncInc, 10), 100)),
      };
      expect(await get(d, ['c', 's'], options())).toEqual([[2, { v: 3 }], 113]);
    });

    it('fails a literal whose task throws, naming the literal', async () => {
      const d = { c: [1, task(fail, 'bad item')], after: task(sum, ref('c')) };
      const error = await get(d, 'after', options()).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'ERR_TASK_FAILED', key: 'c' });
      expect(((error as Error).cause as Error).message).toBe('bad item');
    });
  });
}
