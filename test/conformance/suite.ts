/**
 * The conformance suite: one set of graphs and expectations that every scheduler must pass
 * unchanged (Dask's GetFunctionTestMixin). A scheduler's test file calls `conformanceSuite`
 * with a name and the options that select it; it brings in the ports of Dask's own tests
 * (dask-get.ts: GetFunctionTestMixin; dask-delayed.ts: test_delayed.py, callbacks).
 */
import { describe, expect, it } from 'vitest';
import {
  alias,
  compute,
  delayed,
  get,
  isBaskError,
  ref,
  task,
  type ComputeOptions,
} from '../../src/index.js';
import { daskDelayedSuite } from './dask-delayed.js';
import { daskGetSuite } from './dask-get.js';
import { tasks } from './tasks.js';
import { rejection } from '../helpers.js';

const {
  inc,
  add,
  sum,
  fail,
  asyncInc,
  token,
  pair,
  describe: show,
  makeObject,
  bytes,
  total,
} = tasks;

/** Registers the suite for one scheduler. */
export function conformanceSuite(name: string, options: () => ComputeOptions): void {
  describe(`conformance: ${name}`, () => {
    it('computes a single key', async () => {
      expect(await get({ x: 1, y: task(inc, ref('x')) }, 'y', options())).toBe(2);
    });

    it('returns results in the shape of the keys (arrays and nested arrays)', async () => {
      const graph = { a: 1, b: task(inc, ref('a')), c: task(add, ref('a'), ref('b')) };
      expect(await get(graph, ['a', 'b', 'c'], options())).toEqual([1, 2, 3]);
      expect(await get(graph, [['a', ['b']], 'c', []], options())).toEqual([[1, [2]], 3, []]);
      expect(await get(graph, ['c', 'c'], options())).toEqual([3, 3]);
      expect(await get(graph, ['b', ['a', 'b'], 'a'], options())).toEqual([2, [1, 2], 1]);
      const bad = await get(graph, ['a', [5]] as unknown as string[], options()).catch(
        (e: unknown) => e,
      );
      expect((bad as Error).message).toBe('Keys must be strings or arrays of keys, got number');
    });

    it('resolves aliases, including chains of aliases', async () => {
      const graph = { x: 41, y: task(inc, ref('x')), z: alias('y'), w: alias('z') };
      expect(await get(graph, ['z', 'w'], options())).toEqual([42, 42]);
    });

    it('returns literals, and literals holding refs', async () => {
      const graph = {
        s: 'a string is data',
        n: null,
        arr: [1, 'two'],
        x: 5,
        obj: { v: ref('x'), list: [ref('x'), 2] },
      };
      expect(await get(graph, ['s', 'n', 'arr', 'obj'], options())).toEqual([
        'a string is data',
        null,
        [1, 'two'],
        { v: 5, list: [5, 2] },
      ]);
    });

    it('resolves refs and tasks nested in args (arrays, objects, nested tasks)', async () => {
      const graph = {
        a: 1,
        b: 2,
        s: task(sum, [ref('a'), ref('b'), task(inc, ref('b'))]),
        o: task(show, { x: ref('a'), inner: { list: [ref('b'), task(add, ref('a'), 10)] } }),
      };
      expect(await get(graph, ['s', 'o'], options())).toEqual([
        6,
        JSON.stringify({ x: 1, inner: { list: [2, 11] } }),
      ]);
    });

    it('rejects a missing key with ERR_MISSING_KEY', async () => {
      const error = await rejection(get({ a: task(inc, ref('nope')) }, 'a', options()));
      expect(isBaskError(error, 'ERR_MISSING_KEY')).toBe(true);
      expect((error as Error).message).toContain("'nope'");
      const requested = await rejection(get({ a: 1 }, 'b', options()));
      expect(isBaskError(requested, 'ERR_MISSING_KEY')).toBe(true);
    });

    it('rejects a cycle with ERR_GRAPH_CYCLE naming it', async () => {
      const graph = {
        a: task(inc, ref('b')),
        b: task(inc, ref('c')),
        c: task(inc, ref('a')),
        d: 1,
      };
      const error = await rejection(get(graph, 'a', options()));
      expect(isBaskError(error, 'ERR_GRAPH_CYCLE')).toBe(true);
      expect((error as Error).message).toContain('a -> b -> c -> a');
    });

    it('propagates a task error to its dependents with the original as cause', async () => {
      const graph = {
        a: task(fail, 'broken input'),
        b: task(inc, ref('a')),
        c: task(inc, ref('b')),
        ok: 1,
      };
      const error = await rejection(get(graph, ['ok', 'c'], options()));
      expect(isBaskError(error, 'ERR_TASK_FAILED')).toBe(true);
      expect((error as { key?: string }).key).toBe('a');
      const cause = (error as Error).cause as Error;
      expect(cause.name).toBe('RangeError');
      expect(cause.message).toBe('broken input');
      expect(cause.stack).toContain('fail');
    });

    it('awaits async task functions', async () => {
      const graph = {
        a: task(asyncInc, 1),
        b: task(asyncInc, ref('a')),
        c: task(add, ref('a'), ref('b')),
      };
      expect(await get(graph, 'c', options())).toBe(5);
    });

    it('computes a shared intermediate once', async () => {
      const graph = { t: task(token), a: task(pair, ref('t'), 1), b: task(pair, ref('t'), 2) };
      const [[ta], [tb]] = (await get(graph, ['a', 'b'], options())) as [[string], [string]];
      expect(typeof ta).toBe('string');
      expect(ta).toBe(tb);
    });

    it('runs a 10,000-long chain without overflowing the stack', async () => {
      const graph: Record<string, unknown> = { 'c-0': 0 };
      for (let i = 1; i < 10_000; i++) graph[`c-${i}`] = task(inc, ref(`c-${i - 1}`));
      expect(await get(graph, 'c-9999', options())).toBe(9999);
    });

    it('computes a tree reduction equal to the closed form', async () => {
      const n = 256;
      const graph: Record<string, unknown> = {};
      let level: string[] = [];
      for (let i = 0; i < n; i++) {
        graph[`inc-${i}`] = task(inc, i);
        level.push(`inc-${i}`);
      }
      let c = 0;
      while (level.length > 1) {
        const next: string[] = [];
        for (let j = 0; j + 1 < level.length; j += 2) {
          graph[`add-${c}`] = task(add, ref(level[j] as string), ref(level[j + 1] as string));
          next.push(`add-${c++}`);
        }
        level = next;
      }
      expect(await get(graph, level[0] as string, options())).toBe((n * (n + 1)) / 2);
    });

    it('computes delayed values in arrays and objects, in their shapes', async () => {
      const a = delayed(inc)(1);
      const b = delayed(add)(a, 10);
      const o = delayed(makeObject)(b, 'x');
      const [first, second, third] = await compute([a, b], { b, o }, 7, options());
      expect(first).toEqual([2, 12]);
      expect(second).toEqual({ b: 12, o: { a: 12, b: 'x', nested: { list: [12, 13] } } });
      expect(third).toBe(7);
    });

    it('records attribute access, method calls and arithmetic on Delayed values', async () => {
      const obj = delayed(makeObject)(3, 'y');
      const list = obj.nested.list;
      const [len, first, joined, arith] = await compute(
        list.length,
        list[1],
        list.join('-'),
        obj.a.mul(2).add(1).lt(10),
        options(),
      );
      expect([len, first, joined, arith]).toEqual([2, 4, '3-4', true]);
    });

    it('moves typed arrays between tasks intact', async () => {
      const graph = { v: task(bytes, 1000), t: task(total, ref('v')) };
      const [v, t] = (await get(graph, ['v', 't'], options())) as [Float64Array, number];
      expect(v).toBeInstanceOf(Float64Array);
      expect(v.length).toBe(1000);
      expect(t).toBe((999 * 1000) / 2);
    });

    it('gives the same results as the sync scheduler', async () => {
      const graph: Record<string, unknown> = { seed: 3 };
      for (let i = 0; i < 50; i++) {
        graph[`x-${i}`] = task(add, ref('seed'), i);
        graph[`y-${i}`] = task(pair, ref(`x-${i}`), task(inc, ref(`x-${i}`)));
      }
      graph['all'] = task(
        show,
        Array.from({ length: 50 }, (_, i) => ref(`y-${i}`)),
      );
      const expected = await get(graph, ['all', 'x-7'], { scheduler: 'sync' });
      expect(await get(graph, ['all', 'x-7'], options())).toEqual(expected);
    });

    daskGetSuite(options);
    daskDelayedSuite(options);
  });
}
