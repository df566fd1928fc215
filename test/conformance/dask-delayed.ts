/**
 * The computing half of Dask's dask/tests/test_delayed.py (and the Delayed tests of
 * dask/tests/test_base.py: compute and persist of nested containers), restated for bask's
 * Delayed, plus functions passed as arguments (callbacks), which ship the way task functions
 * do. Registered by `conformanceSuite`, so it runs on every scheduler. The graph-building half
 * (keys, purity, errors) is in test/unit/delayed-dask.test.ts.
 *
 * JavaScript has no operator overloading, so Dask's `a + 1`, `a > 2`, `a ** 2` are bask's
 * `a.add(1)`, `a.gt(2)`, `a.pow(2)`; there are no keyword arguments (an options object stands in
 * for them) and no tuples (arrays stand in for them).
 */
import { describe, expect, it } from 'vitest';
import {
  compute,
  delayed,
  get,
  isDelayed,
  persist,
  task,
  type ComputeOptions,
  type Delayed,
} from '../../src/index.js';
import { tasks } from './tasks.js';

const { inc, add, sum, fail, maxBy, mysum, applyAll, money, pair } = tasks;

/** Registers the ported Delayed tests and the callback tests for one scheduler. */
export function daskDelayedSuite(options: () => ComputeOptions): void {
  describe("Dask's test_delayed.py and test_base.py (computing)", () => {
    it('test_delayed', async () => {
      const add2 = delayed(add);
      expect(await add2(1, 2).compute(options())).toBe(3);
      expect(await add2(1, 2).add(3).compute(options())).toBe(6);
      expect(await add2(add2(1, 2), 3).compute(options())).toBe(6);
      const a = delayed(1);
      expect(await a.compute(options())).toBe(1);
      expect(await add2(add2(a, 2), 3).compute(options())).toBe(6);
    });

    it('test_operators', async () => {
      const a = delayed([1, 2, 3]);
      const b = delayed(2);
      const ten = delayed(10);
      // Arrays have no `+` in JavaScript: Dask's `a + a` is `a.concat(a)`, `a[:b]` is `a.slice(0, b)`.
      const [first, both, head] = await compute(a[0], a.concat(a), a.slice(0, b), options());
      expect([first, both, head]).toEqual([1, [1, 2, 3, 1, 2, 3], [1, 2]]);
      // `1 + a` is delayed(1).add(a); there is no `>>` op.
      const results = await compute(
        ten.add(1),
        delayed(1).add(ten),
        ten.gt(2),
        ten.pow(2),
        options(),
      );
      expect(results).toEqual([11, 11, true, 100]);
      // Dask's `c @ d` calls `__matmul__`; bask's `c.add(d)` calls the value's own `add`.
      const c = delayed(money)(150);
      const d = delayed(money)(250);
      expect(await c.add(d).compute(options())).toBe(400);
    });

    it('test_methods', async () => {
      const a = delayed('a b c d e');
      expect(await a.split(' ').compute(options())).toEqual(['a', 'b', 'c', 'd', 'e']);
      // Python's list.count('A') is a filter with a callback, which ships as its source.
      const count = a
        .toUpperCase()
        .replace('B', 'A')
        .split(' ')
        .filter((x: string) => x === 'A').length;
      expect(await count.compute(options())).toBe(2);
    });

    it('test_attributes', async () => {
      // JavaScript has no complex numbers: an object with the same attributes stands in.
      const a = delayed({ real: 2, imag: 1 });
      expect(await compute(a.real, a.imag, a.real.add(a.imag), options())).toEqual([2, 1, 3]);
    });

    it('test_lists', async () => {
      const c = delayed(sum)([delayed(1), delayed(2)]);
      expect(await c.compute(options())).toBe(3);
    });

    it('test_literates', async () => {
      // Arrays and plain objects are traversed; Dask's tuples, sets and dicts keyed by Delayed
      // values have no counterpart (object keys are strings).
      const a = delayed(1);
      const b = a.add(1);
      expect(await delayed([a, b, 3]).compute(options())).toEqual([1, 2, 3]);
      const lit = { a, b, c: 3 };
      expect(await delayed(lit).compute(options())).toEqual({ a: 1, b: 2, c: 3 });
      expect(await delayed(lit).a.compute(options())).toBe(1);
    });

    it('test_lists_are_concrete', async () => {
      const a = delayed(1);
      const b = delayed(2);
      // Python's max(..., key=...) is a task taking the key function as an argument.
      const c = delayed(maxBy<number[]>)(
        [
          [a, 10],
          [b, 20],
        ],
        (x: number[]) => x[0] ?? 0,
      )[1]; // typed `Delayed<number> | undefined` under noUncheckedIndexedAccess
      expect(await c?.compute(options())).toBe(20);
    });

    it('test_nout', async () => {
      const func = delayed((x: number): [number, number] => [x, -x], { nout: 2, pure: true });
      const [a, b] = func(1);
      expect(await compute(a, b, options())).toEqual([1, -1]);
      const one = delayed((x: number): [number] => [x], { nout: 1, pure: true });
      const [only] = one(1);
      expect(await only.compute(options())).toBe(1);
      const none = delayed((_x: number): [] => [], { nout: 0, pure: true })(1);
      expect([...none]).toHaveLength(0);
      expect(await none.compute(options())).toEqual([]);
    });

    it('test_nout_with_tasks', async () => {
      // Dask's parameters [1, 2], (1, 2), [], (): tuples are arrays here. (Dask's `(add, 1, 2)`
      // is a tuple of data; a bask task in a literal is evaluated, so it has no counterpart.)
      for (const x of [[1, 2], []]) {
        const d = delayed(x, { nout: x.length });
        expect([...d]).toHaveLength(x.length);
        expect(await d.compute(options())).toEqual(x);
      }
    });

    it('test_kwargs', async () => {
      // Keyword arguments are an options object, which may hold Delayed values.
      const dmysum = delayed(mysum);
      const ten = dmysum(1, 2, { c: [delayed(3), 0], four: dmysum(2, 2, {}) });
      expect(await ten.compute(options())).toBe(10);
      const pure = delayed(mysum, { pure: true });
      const c = [delayed(3), 0];
      expect(await pure(1, 2, { c, four: pure(2, 2, {}) }).compute(options())).toBe(10);
    });

    it('test_delayed_fusion', async () => {
      const t1 = delayed((i: number) => i + 1);
      const t2 = delayed((i: number) => i + 2);
      const t3 = delayed((i: number) => i + 3);
      const fused = await t3(t2(t1(10))).compute({ ...options(), fuse: true });
      const unfused = await t3(t2(t1(10))).compute({ ...options(), fuse: false });
      expect([fused, unfused]).toEqual([16, 16]);
    });

    it('test_compute_nested', async () => {
      const a = delayed(1).add(5);
      const b = a.add(1);
      const c = a.add(2);
      expect(await compute({ a, b: [1, 2, b] }, [c, 2], options())).toEqual([
        { a: 6, b: [1, 2, 7] },
        [8, 2],
      ]);
    });

    it('test_persist_literals', async () => {
      expect(await persist(1, 2, 3, options())).toEqual([1, 2, 3]);
    });

    it('test_persist_nested', async () => {
      const a = delayed(1).add(5);
      const b = a.add(1);
      const c = a.add(2);
      const result = (await persist({ a, b: [1, 2, b] }, [c, 2], options())) as [
        { a: Delayed<number>; b: [number, number, Delayed<number>] },
        [Delayed<number>, number],
      ];
      expect(isDelayed(result[0].a)).toBe(true);
      expect(isDelayed(result[0].b[2])).toBe(true);
      expect(isDelayed(result[1][0])).toBe(true);
      expect(await compute(...result, options())).toEqual([{ a: 6, b: [1, 2, 7] }, [8, 2]]);
    });

    it('test_persist_delayed', async () => {
      const x1 = delayed(1);
      const x2 = delayed(inc)(x1);
      const x3 = delayed(inc)(x2);
      const [xx] = (await persist(x3, options())) as [Delayed<number>];
      expect(isDelayed(xx)).toBe(true);
      expect(xx.key).toBe(x3.key);
      expect(await xx.compute(options())).toBe(await x3.compute(options()));
    });

    it('test_persist_delayedleaf', async () => {
      const [xx] = (await persist(delayed(1), options())) as [Delayed<number>];
      expect(isDelayed(xx)).toBe(true);
      expect(await xx.compute(options())).toBe(1);
    });

    it('test_persist_delayedattr', async () => {
      // Dask's `delayed(C).x` reads a class attribute; delayed(function) wraps a function in
      // bask, so an object stands in for the class.
      const [xx] = (await persist(delayed({ x: 1 }).x, options())) as [Delayed<number>];
      expect(isDelayed(xx)).toBe(true);
      expect(await xx.compute(options())).toBe(1);
    });

    it('fails the dependents of a failing Delayed with its error', async () => {
      const broken = delayed(fail, { name: 'broken' })('no value');
      const error = await delayed(inc)(broken)
        .compute(options())
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'ERR_TASK_FAILED', key: 'broken' });
      expect(((error as Error).cause as Error).message).toBe('no value');
    });
  });

  describe('Delayed is not thenable', () => {
    it('comes out of an async function and Promise.all as itself, and computes', async () => {
      const make = async (): Promise<Delayed<number>> => {
        await Promise.resolve();
        return delayed(inc)(1);
      };
      const d = await make();
      // eslint-disable-next-line @typescript-eslint/await-thenable -- the point: d is not thenable
      const [same] = await Promise.all([d]);
      expect(same).toBe(d);
      expect(await same.compute(options())).toBe(2);
    });
  });

  describe('functions as arguments ship like task functions', () => {
    it('runs callbacks of methods: filter, sort, map', async () => {
      const words = delayed('A b A').split(' ');
      const results = await compute(
        delayed('a b')
          .split(' ')
          .filter((x: string) => x === 'A'),
        words.filter((x: string) => x === 'A'),
        delayed([3, 1, 2]).sort((a: number, b: number) => b - a),
        delayed([1, 2, 3]).map((x: number) => x * 2),
        options(),
      );
      expect(results).toEqual([[], ['A', 'A'], [3, 2, 1], [2, 4, 6]]);
    });

    it('runs callbacks inside arrays and objects, at any depth', async () => {
      const fns = {
        double: (x: number) => x * 2,
        more: [(x: number) => x + 1, { square: (x: number) => x * x }],
      };
      expect(await delayed(applyAll)(fns, 3).compute(options())).toEqual({
        double: 6,
        more: [4, { square: 9 }],
      });
      const graph = {
        r: task(
          maxBy,
          [
            [1, 'a'],
            [3, 'b'],
            [2, 'c'],
          ],
          (row: [number, string]) => row[0],
        ),
        nested: task(
          applyAll,
          task(pair, (x: number) => -x, { id: (x: number) => x }),
          5,
        ),
      };
      expect(await get(graph, ['r', 'nested'], options())).toEqual([
        [3, 'b'],
        [-5, { id: 5 }],
      ]);
    });

    it('runs a task-module export passed as a callback', async () => {
      // pair(1, 2) is [1, 2]; each item goes through the task module's inc.
      const incremented = delayed(pair)(1, 2).map(inc);
      expect(await incremented.compute(options())).toEqual([2, 3]);
    });

    it('fails a callback with a free variable with ERR_UNSHIPPABLE_FUNCTION off the main thread', async () => {
      const limit = 1;
      const above = delayed([1, 2, 3]).filter((x: number) => x > limit);
      if (options().scheduler === 'sync') {
        // The sync scheduler calls the callback itself, closure and all.
        expect(await above.compute(options())).toEqual([2, 3]);
        return;
      }
      const error = await above.compute(options()).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'ERR_UNSHIPPABLE_FUNCTION' });
      expect((error as Error).message).toContain("'(x) => x > limit'");
      expect((error as Error).message).toContain("uses 'limit'");
    });

    it('fails a native callback with ERR_UNSHIPPABLE_FUNCTION before sending it', async () => {
      const numbers = delayed(['1', '2']).map(Number);
      if (options().scheduler === 'sync') {
        expect(await numbers.compute(options())).toEqual([1, 2]);
        return;
      }
      const error = await numbers.compute(options()).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'ERR_UNSHIPPABLE_FUNCTION' });
      expect((error as Error).message).toContain("native function 'Number'");
    });
  });
}
