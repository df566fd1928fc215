/**
 * The graph-building half of Dask's dask/tests/test_delayed.py, restated for bask's Delayed:
 * keys and names, purity, nout, errors on misuse, the shape of the graphs built. The computing
 * half runs on every scheduler: test/conformance/dask-delayed.ts.
 *
 * JavaScript has no operator overloading (`a + 1` is `a.add(1)`), no keyword arguments (an
 * options object stands in), and cannot intercept truthiness or `in`: each difference is
 * stated where a test meets it.
 */
import { describe, expect, it } from 'vitest';
import {
  compute,
  config,
  delayed,
  fuse,
  isBaskError,
  isDelayed,
  persist,
  Task,
} from '../../src/index.node.js';
import { indexGraph } from '../../src/graph/analyze.js';
import { getattr, methodcall } from '../../src/graph/ops.js';
import { nodeOf } from '../../src/delayed/delayed.js';
import { collectGraph, type DelayedNode } from '../../src/delayed/node.js';
import { thrown } from '../helpers.js';

const add = (a: number, b: number): number => a + b;
const inc = (x: number): number => x + 1;
const identity = <T>(x: T): T => x;

/** The graph behind Delayed values (Dask's `d.dask`), as a Map from key to node. */
function graphOf(...values: unknown[]): Map<string, unknown> {
  const roots = values.map((v) => nodeOf(v) as DelayedNode);
  const index = indexGraph(
    collectGraph(roots),
    roots.map((r) => r.key),
  );
  return new Map(index.keys.map((k, i) => [k, index.nodes[i]]));
}

describe("Dask's test_delayed.py (building graphs)", () => {
  it('test_delayed', () => {
    const add2 = delayed(add);
    const a = delayed(1);
    const b = add2(add2(a, 2), 3);
    expect(graphOf(b).has(a.key)).toBe(true);
    expect(graphOf(b).size).toBe(3);
  });

  it('test_methods', () => {
    const a = delayed('a b c d e');
    // Dask's per-call `pure=True` and `dask_key_name=` are keyword arguments, which JavaScript
    // lacks: method calls follow config `delayedPure`, and keys are named by `delayed(fn, { name })`.
    expect(a.split(' ').key).not.toBe(a.split(' ').key);
    using _ = config.set({ delayedPure: true });
    expect(a.split(' ').key).toBe(a.split(' ').key);
    expect(a.split(' ').key).toMatch(/^split-/);
  });

  it('test_attributes', () => {
    const a = delayed({ real: 2, imag: 1 });
    expect(a.real.key).toBe(a.real.key);
    expect(a.real.key).toMatch(/^real-/);
  });

  it('test_method_getattr_call_same_task', () => {
    const a = delayed([1, 2, 3]);
    const o = a.indexOf(1);
    const fns = [...graphOf(o).values()].filter((n) => n instanceof Task).map((n) => n.fn);
    expect(fns).toContain(methodcall);
    expect(fns).not.toContain(getattr);
  });

  it('test_delayed_errors', () => {
    const a = delayed([1, 2, 3]);
    const loose = a as unknown as Record<string | number, unknown>;
    // Immutable.
    expect(thrown(() => (loose['foo'] = 1))).toBeInstanceOf(TypeError);
    expect(thrown(() => (loose[1] = 0))).toBeInstanceOf(TypeError);
    expect(thrown(() => delete loose['foo'])).toBeInstanceOf(TypeError);
    // Not iterable (no nout).
    expect(thrown(() => [...(a as unknown as number[])])).toBeInstanceOf(TypeError);
    // No number or string value (Dask: no truth value). JavaScript cannot intercept truthiness:
    // a Delayed, like any object, is truthy; comparisons and templates throw instead.
    expect(thrown(() => (a as unknown as number) > 1)).toBeInstanceOf(TypeError);
    expect(thrown(() => `${a as unknown as string}`)).toBeInstanceOf(TypeError);
    // `1 in a` is a property check in JavaScript, not containment: it is false, not an error.
    expect(1 in a).toBe(false);
    // Dask refuses hidden attributes (`a._hidden()`); any name is a lazy attribute in bask.
    expect(isDelayed((a as unknown as Record<string, () => unknown>)['_hidden']?.())).toBe(true);
  });

  it('test_common_subexpressions', () => {
    const a = delayed([1, 2, 3]);
    const res = a[0]?.add(a[0]);
    const graph = graphOf(res);
    expect(graph.has(a[0]?.key as string)).toBe(true);
    expect(graph.has(a.key)).toBe(true);
    expect(graph.size).toBe(3);
  });

  it('test_literates_keys', () => {
    const a = delayed(1);
    const b = a.add(1);
    const lit = [a, b, 3];
    expect(delayed(lit).key).not.toBe(delayed(lit).key);
    expect(delayed(lit, { pure: true }).key).toBe(delayed(lit, { pure: true }).key);
  });

  it('test_pure', () => {
    expect(delayed(add, { pure: true })(1, 2).key).toBe(delayed(add, { pure: true })(1, 2).key);
    const myrand = delayed(Math.random);
    expect(myrand().key).not.toBe(myrand().key);
  });

  it('test_pure_global_setting', () => {
    // Delayed functions.
    const func = delayed(add);
    {
      using _ = config.set({ delayedPure: true });
      expect(func(1, 2).key).toBe(func(1, 2).key);
    }
    {
      using _ = config.set({ delayedPure: false });
      expect(func(1, 2).key).not.toBe(func(1, 2).key);
      const pureFunc = delayed(add, { pure: true });
      expect(pureFunc(1, 2).key).toBe(pureFunc(1, 2).key);
    }
    // Delayed values.
    expect(delayed(1).key).not.toBe(delayed(1).key);
    {
      using _ = config.set({ delayedPure: true });
      expect(delayed(1).key).toBe(delayed(1).key);
    }
    {
      using _ = config.set({ delayedPure: false });
      expect(delayed(1, { pure: true }).key).toBe(delayed(1, { pure: true }).key);
    }
    // Delayed methods (no per-call pure= in JavaScript: config only).
    const data = delayed([1, 2, 3]);
    expect(data.indexOf(1).key).not.toBe(data.indexOf(1).key);
    {
      using _ = config.set({ delayedPure: true });
      expect(data.indexOf(1).key).toBe(data.indexOf(1).key);
    }
    // Attribute access and operators are always pure.
    {
      using _ = config.set({ delayedPure: false });
      // (A method read without a call is a Delayed too; its type is the method's.)
      const method = (): string => (data.indexOf as unknown as { key: string }).key;
      expect(method()).toBe(method());
      const element = data[0];
      expect(element?.add(element).key).toBe(element?.add(element).key);
    }
  });

  it('test_nout', () => {
    const func = delayed((x: number): [number, number] => [x, -x], { nout: 2, pure: true });
    const x = func(1);
    expect([...x]).toHaveLength(2);
    const [a] = x;
    // Dask's len(a) raises; `a.length` is a lazy attribute in bask, but iteration throws.
    expect(thrown(() => [...(a as unknown as number[])])).toBeInstanceOf(TypeError);
    // Dask raises ValueError for nout=-1 and nout=True.
    expect(
      isBaskError(
        thrown(() => delayed(add, { nout: -1 })),
        'ERR_INVALID_ARGUMENT',
      ),
    ).toBe(true);
    expect(
      isBaskError(
        thrown(() => delayed(add, { nout: true as unknown as number })),
        'ERR_INVALID_ARGUMENT',
      ),
    ).toBe(true);
    const noLength = delayed(add)(1, 2);
    expect(thrown(() => [...(noLength as unknown as number[])])).toBeInstanceOf(TypeError);
    const one = delayed((v: number): [number] => [v], { nout: 1, pure: true })(1);
    expect([...one]).toHaveLength(1);
    const none = delayed((_v: number): [] => [], { nout: 0, pure: true })(1);
    expect([...none]).toHaveLength(0);
  });

  it('test_kwargs', () => {
    // Keyword arguments are an options object, which may hold Delayed values.
    const mysum = (a: number, b: number, o: { c?: number[]; four?: number }): number =>
      a + b + (o.c ?? []).reduce((s, v) => s + v, 0) + (o.four ?? 0);
    const dmysum = delayed(mysum, { pure: true });
    const c = [delayed(3, { pure: true }), 0];
    const ten = dmysum(1, 2, { c, four: dmysum(2, 2, {}) });
    expect(dmysum(1, 2, { c, four: dmysum(2, 2, {}) }).key).toBe(ten.key);
    expect(dmysum(1, 2, { c, four: dmysum(2, 3, {}) }).key).not.toBe(ten.key);
    expect(dmysum(1, 2, { c, four: 4 }).key).not.toBe(ten.key);
    expect(dmysum(1, 2, { c, four: 4 }).key).not.toBe(dmysum(2, 2, { c, four: 4 }).key);
  });

  it('test_delayed_compute_forward_kwargs', async () => {
    // Dask ignores unknown keywords of compute(); bask refuses unknown options by name.
    const x = delayed(1).add(2);
    await expect(x.compute({ bogus_keyword: 10 } as never)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
  });

  it('test_delayed_method_descriptor', () => {
    // Wrapping an unbound native method builds a task without error (shipping it would fail).
    // eslint-disable-next-line @typescript-eslint/unbound-method -- unbound on purpose, as in Dask
    const trim = String.prototype.trim as unknown as (s: string) => string;
    expect(isDelayed(delayed(trim)(''))).toBe(true);
  });

  it('test_delayed_callable', async () => {
    const f = delayed(add, { pure: true });
    expect(await f(1, 2).compute({ scheduler: 'sync' })).toBe(3);
    // Dask's delayed(fn) is itself a Delayed (f.compute() is add); bask's is a plain wrapper.
    expect(isDelayed(f)).toBe(false);
  });

  it('test_delayed_name_on_call', () => {
    // Dask names one call with dask_key_name=; bask names the calls of a wrapper.
    expect(delayed(add, { pure: true, name: 'foo' })(1, 2).key).toBe('foo');
  });

  it('test_deterministic_name', () => {
    const func = delayed(identity, { pure: true });
    const data1 = { x: 1, y: 25, z: [1, 2, 3] };
    const data2 = { x: 1, y: 25, z: [1, 2, 3] };
    expect(func(data1).key).toBe(func(data2).key);
  });

  it('test_sensitive_to_partials', () => {
    // Python's partial is bind.
    expect(delayed(add.bind(null, 10), { pure: true })(2).key).not.toBe(
      delayed(add.bind(null, 20), { pure: true })(2).key,
    );
  });

  it('test_delayed_name', () => {
    // Dask's `int-` is `number-` (typeof).
    expect(delayed(1).key.startsWith('number-')).toBe(true);
    expect(delayed(1, { pure: true }).key.startsWith('number-')).toBe(true);
    expect(delayed(1, { name: 'X' }).key).toBe('X');
    function myfunc(x: number): number {
      return x + 1;
    }
    expect(delayed(myfunc)(1).key.startsWith('myfunc')).toBe(true);
  });

  it('test_attribute_of_attribute', () => {
    const x = delayed(123 as unknown as { a: { b: { c: number } } });
    expect(isDelayed(x.a)).toBe(true);
    expect(isDelayed(x.a.b)).toBe(true);
    expect(isDelayed(x.a.b.c)).toBe(true);
  });

  it('test_delayed_fusion', () => {
    const t1 = delayed(inc);
    const t2 = delayed(add);
    const t3 = delayed((i: number) => i + 3);
    const obj = t3(t2(t1(10), 2));
    const graph = graphOf(obj);
    expect(graph.size).toBe(3);
    // Dask's delayed fusion leaves 2 tasks here; bask fuses the whole linear chain into 1.
    expect(fuse(graph, [obj.key]).size).toBe(1);
  });

  it('test_persist_delayed (the persisted graph is one node)', async () => {
    const x3 = delayed(inc)(delayed(inc)(delayed(1)));
    const [xx] = (await persist(x3, { scheduler: 'sync' })) as [typeof x3];
    expect(xx.key).toBe(x3.key);
    expect(graphOf(xx).size).toBe(1);
    expect(graphOf(x3).size).toBe(3);
    expect(await compute(xx, x3, { scheduler: 'sync' })).toEqual([3, 3]);
  });
});

describe('callbacks in Delayed method calls', () => {
  it('gives equal callbacks equal keys when pure, and different ones different keys', () => {
    using _ = config.set({ delayedPure: true });
    const xs = delayed([1, 2, 3]);
    expect(xs.map((x: number) => x * 2).key).toBe(xs.map((x: number) => x * 2).key);
    expect(xs.map((x: number) => x * 2).key).not.toBe(xs.map((x: number) => x * 3).key);
  });
});
