/** The graph layer's pure algorithms: dependencies, toposort, cull, order, fuse, tokenize, refs. */
import { describe, expect, it } from 'vitest';
import { cull, fuse, getDependencies, order, toposort } from '../../src/graph/algorithms.js';
import { describeFunction, defineTasks } from '../../src/graph/fnref.js';
import { containsTask, nodeDependencies } from '../../src/graph/deps.js';
import { prepareGraph } from '../../src/graph/prepare.js';
import { viewGraph } from '../../src/graph/analyze.js';
import { CloneDecoder, CloneEncoder, MARK } from '../../src/wire/clone.js';
import { encodeSpec } from '../../src/wire/spec-codec.js';
import { evaluate } from '../../src/worker/execute.js';
import { FunctionCache } from '../../src/worker/functions.js';
import { binaryOps, getattr, identity } from '../../src/graph/ops.js';
import { alias, mapContainer, ref, task, Ref, Task } from '../../src/graph/spec.js';
import { tokenize } from '../../src/graph/tokenize.js';
import { isBaskError } from '../../src/errors.js';
import { thrown } from '../helpers.js';

const f = (...args: unknown[]): unknown => args;
const inc = (x: number): number => x + 1;

describe('dependencies', () => {
  it('finds refs in args, nested arrays, objects and nested tasks, once each', () => {
    const node = task(
      f,
      ref('a'),
      [ref('b'), { c: ref('c'), again: ref('a') }],
      task(f, ref('d')),
      'a',
    );
    expect(nodeDependencies(node)).toEqual(['a', 'b', 'c', 'd']);
    expect(nodeDependencies(alias('z'))).toEqual(['z']);
    expect(nodeDependencies({ list: [ref('x')] })).toEqual(['x']);
    expect(nodeDependencies('a')).toEqual([]);
    expect(nodeDependencies(new Float64Array(3))).toEqual([]);
  });

  it('lists the direct dependencies of every key', () => {
    const graph = { a: 1, b: task(f, ref('a')), c: task(f, ref('a'), ref('b')) };
    expect(getDependencies(graph)).toEqual(
      new Map([
        ['a', []],
        ['b', ['a']],
        ['c', ['a', 'b']],
      ]),
    );
  });
});

describe('toposort', () => {
  it('puts every key after its dependencies', () => {
    const graph = {
      c: task(f, ref('b')),
      b: task(f, ref('a')),
      a: 1,
      d: task(f, ref('a'), ref('c')),
    };
    const sorted = toposort(graph);
    expect(sorted).toHaveLength(4);
    for (const [key, deps] of getDependencies(graph)) {
      for (const d of deps) expect(sorted.indexOf(d)).toBeLessThan(sorted.indexOf(key));
    }
  });

  it('names the cycle', () => {
    const error = thrown(() => toposort({ a: task(f, ref('b')), b: task(f, ref('a')) }, ['a']));
    expect(isBaskError(error, 'ERR_GRAPH_CYCLE')).toBe(true);
    expect((error as Error).message).toContain('a -> b -> a');
    const self = thrown(() => toposort({ a: task(f, ref('a')) }));
    expect((self as Error).message).toContain('a -> a');
  });

  it('handles a 100,000-long chain without recursion', () => {
    const graph: Record<string, unknown> = { 'k-0': 0 };
    for (let i = 1; i < 100_000; i++) graph[`k-${i}`] = task(inc, ref(`k-${i - 1}`));
    const sorted = toposort(graph, ['k-99999']);
    expect(sorted[0]).toBe('k-0');
    expect(sorted[99_999]).toBe('k-99999');
  });
});

describe('cull', () => {
  it('keeps only what the keys need', () => {
    const graph = { a: 1, b: task(f, ref('a')), c: 3, d: task(f, ref('c')) };
    const culled = cull(graph, ['b']);
    expect([...culled.graph.keys()].sort()).toEqual(['a', 'b']);
    expect(culled.dependencies.get('b')).toEqual(['a']);
  });

  it('reports a missing key with who needed it', () => {
    const error = thrown(() => cull({ b: task(f, ref('a')) }, ['b']));
    expect(isBaskError(error, 'ERR_MISSING_KEY')).toBe(true);
    expect((error as Error).message).toContain("needed by 'b'");
  });
});

describe('order', () => {
  it('finishes the left half of a tree reduction before starting the right', () => {
    const graph = {
      l0: 1,
      l1: 2,
      r0: 3,
      r1: 4,
      left: task(f, ref('l0'), ref('l1')),
      right: task(f, ref('r0'), ref('r1')),
      root: task(f, ref('left'), ref('right')),
    };
    const p = order(graph, ['root']);
    expect(p.get('left')).toBeLessThan(p.get('r0') as number);
    expect(p.get('root')).toBe(6);
  });

  it('reduces each file before reading the next (seed shape)', () => {
    const graph: Record<string, unknown> = {};
    const spreads: string[] = [];
    const days: string[] = [];
    for (let i = 0; i < 3; i++) {
      graph[`read-${i}`] = task(f, i);
      graph[`high-${i}`] = task(getattr, ref(`read-${i}`), 'high');
      graph[`spread-${i}`] = task(f, ref(`high-${i}`));
      graph[`day-${i}`] = task(getattr, ref(`read-${i}`), 'index');
      spreads.push(`spread-${i}`);
      days.push(`day-${i}`);
    }
    const p = order(graph, [...spreads, ...days]);
    // The day of file 0 runs before file 1 is read, so file 0's frame can be released.
    expect(p.get('day-0')).toBeLessThan(p.get('read-1') as number);
  });
});

describe('fuse', () => {
  it('inlines a linear chain into its last task, keeping requested keys', () => {
    const graph = {
      a: task(inc, 1),
      b: task(inc, ref('a')),
      c: task(inc, ref('b')),
      d: task(f, ref('c')),
    };
    const fused = fuse(graph, ['d']);
    expect([...fused.keys()]).toEqual(['d']);
    const node = fused.get('d') as Task;
    expect(node).toBeInstanceOf(Task);
    expect(nodeDependencies(node)).toEqual([]);
    expect([...fuse(graph, ['d', 'b']).keys()].sort()).toEqual(['b', 'd']);
  });

  it('does not fuse a task with two dependents or a dependent with two inputs', () => {
    const graph = {
      a: task(inc, 1),
      b: task(inc, ref('a')),
      c: task(inc, ref('a')),
      d: task(f, ref('b'), ref('c')),
    };
    expect([...fuse(graph, ['d']).keys()].sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('caps the height of a fused task', () => {
    const graph: Record<string, unknown> = { 'k-0': task(inc, 0) };
    for (let i = 1; i < 100; i++) graph[`k-${i}`] = task(inc, ref(`k-${i - 1}`));
    const fused = fuse(graph, ['k-99'], { maxHeight: 10 });
    expect(fused.size).toBe(10);
  });
});

describe('tokenize', () => {
  it('is deterministic across runs (pinned values) and sensitive to every part', () => {
    expect(tokenize(1, 'a', [true, null])).toBe(tokenize(1, 'a', [true, null]));
    expect(tokenize({ b: 1, a: 2 })).toBe(tokenize({ a: 2, b: 1 }));
    expect(tokenize(1, 'a')).not.toBe(tokenize('1', 'a'));
    expect(tokenize([1, 2])).not.toBe(tokenize([2, 1]));
    expect(tokenize(new Float64Array([1, 2]))).not.toBe(tokenize(new Float64Array([1, 3])));
    expect(tokenize(ref('x'))).not.toBe(tokenize('x'));
    expect(tokenize('seed')).toBe('b2f5bef7812b0833');
  });

  it('tokenizes functions by reference: ops by name, sources by text', () => {
    const g1 = (x: number): number => x * 2;
    const g2 = (x: number): number => x * 2;
    expect(tokenize(task(g1, 1))).toBe(tokenize(task(g2, 1)));
    expect(tokenize(task(binaryOps.add, 1, 2))).not.toBe(tokenize(task(binaryOps.sub, 1, 2)));
  });

  it('gives equal callbacks equal tokens, inside args at any depth', () => {
    const keep = (x: number): boolean => x > 0;
    const same = (x: number): boolean => x > 0;
    const other = (x: number): boolean => x < 0;
    expect(tokenize(task(f, { by: [keep] }))).toBe(tokenize(task(f, { by: [same] })));
    expect(tokenize(task(f, { by: [keep] }))).not.toBe(tokenize(task(f, { by: [other] })));
  });

  it("tells bound functions apart (Dask's test_sensitive_to_partials)", () => {
    const add = (a: number, b: number): number => a + b;
    const add10 = add.bind(null, 10);
    expect(tokenize(task(add10, 2))).not.toBe(tokenize(task(add.bind(null, 20), 2)));
    expect(tokenize(task(add10, 2))).toBe(tokenize(task(add10, 2)));
    expect(tokenize(task(Math.max, 1))).toBe(tokenize(task(Math.max, 1)));
    expect(tokenize(task(Math.max, 1))).not.toBe(tokenize(task(Math.min, 1)));
  });

  it('survives cycles in values', () => {
    const a: Record<string, unknown> = { x: 1 };
    a['self'] = a;
    expect(tokenize(a)).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('function references', () => {
  it('describes ops, task-module exports and self-contained source', () => {
    expect(describeFunction(getattr)).toEqual({ kind: 'op', op: 'getattr' });
    const mod = defineTasks('file:///tmp/tasks.js', { double: (x: number) => x * 2 });
    expect(describeFunction(mod.double)).toEqual({
      kind: 'module',
      module: 'file:///tmp/tasks.js',
      name: 'double',
    });
    const named = defineTasks('app/graph-test', { halve: (x: number) => x / 2 });
    expect(describeFunction(named.halve)).toEqual({
      kind: 'module',
      module: 'app/graph-test',
      name: 'halve',
    });
    const ref1 = describeFunction(inc);
    expect(ref1.kind).toBe('source');
    const method = {
      triple(x: number): number {
        return x * 3;
      },
    };
    const triple = Object.getOwnPropertyDescriptor(method, 'triple')?.value as (
      x: number,
    ) => number;
    const ref2 = describeFunction(triple);
    expect(ref2.kind === 'source' && ref2.source.startsWith('({')).toBe(true);
  });

  it('refuses native and bound functions with ERR_UNSHIPPABLE_FUNCTION', () => {
    const bound = thrown(() => describeFunction(inc.bind(null)));
    expect(isBaskError(bound, 'ERR_UNSHIPPABLE_FUNCTION')).toBe(true);
    expect((bound as Error).message).toContain('inc');
    const native = thrown(() => describeFunction(Math.max));
    expect(isBaskError(native, 'ERR_UNSHIPPABLE_FUNCTION')).toBe(true);
    expect((native as Error).message).toContain('defineTasks');
  });

  it('validates defineTasks arguments', () => {
    expect(
      isBaskError(
        thrown(() => defineTasks('', {})),
        'ERR_INVALID_ARGUMENT',
      ),
    ).toBe(true);
    expect(
      isBaskError(
        thrown(() => defineTasks(' app/tasks', {})),
        'ERR_INVALID_ARGUMENT',
      ),
    ).toBe(true);
    expect(
      isBaskError(
        thrown(() => defineTasks('file:///x.js', { a: 1 as never })),
        'ERR_INVALID_ARGUMENT',
      ),
    ).toBe(true);
    expect(
      isBaskError(
        thrown(() => defineTasks('app/tasks', null as never)),
        'ERR_INVALID_ARGUMENT',
      ),
    ).toBe(true);
  });
});

describe('tasks inside literals', () => {
  it('finds tasks in arrays and plain objects at any depth, not in class instances', () => {
    expect(containsTask([1, { a: [task(inc, 1)] }])).toBe(true);
    expect(containsTask(task(inc, 1))).toBe(true);
    expect(containsTask([1, { a: [ref('x')] }])).toBe(false);
    expect(containsTask(new Map([['t', task(inc, 1)]]))).toBe(false);
    expect(containsTask('text')).toBe(false);
  });

  it('prepares a literal holding a task as a task that evaluates it', () => {
    const batch = prepareGraph(viewGraph({ c: [1, task(inc, 1)], plain: [1, 2] }), ['c', 'plain']);
    const specs = new Map(batch.keys.map((k, i) => [k, batch.specs[i]]));
    const c = specs.get('c') as Task;
    expect(c).toBeInstanceOf(Task);
    expect(c.fn).toBe(identity);
    expect(evaluate(c, new Map())).toEqual([1, 2]);
    expect(specs.get('plain')).toEqual([1, 2]);
  });

  it('awaits each nested async task once, where it belongs', async () => {
    const later = (x: number): Promise<number> => Promise.resolve(x);
    const spec = task(f, task(later, 1), task(f, task(later, 2), 3), [task(later, 4)]);
    expect(await evaluate(spec, new Map())).toEqual([1, [2, 3], [4]]);
  });
});

describe('callbacks on the wire', () => {
  const encodeDecode = (spec: unknown): unknown => {
    const wire = encodeSpec(spec, 'k');
    const functions = new FunctionCache();
    const decoder = new CloneDecoder((r) => functions.resolve(r));
    const args = wire.args.map((a) => decoder.decode(structuredClone(a)));
    return wire.fn === null ? args[0] : new Task(f, args);
  };

  it('encodes functions in task args as references, at any depth', () => {
    const double = (x: number): number => x * 2;
    const wire = encodeSpec(task(f, double, { more: [double] }), 'k');
    expect(wire.marked).toBe(true);
    const ref1 = describeFunction(double);
    expect(wire.args).toEqual([{ [MARK]: 'fn', fn: ref1 }, { more: [{ [MARK]: 'fn', fn: ref1 }] }]);
    const decoded = encodeDecode(task(f, double, { more: [double] })) as Task;
    const [first, rest] = decoded.args as [
      (x: number) => number,
      { more: [(x: number) => number] },
    ];
    expect(first(4)).toBe(8);
    expect(rest.more[0](5)).toBe(10);
  });

  it('names the task when a callback cannot ship', () => {
    const error = thrown(() => encodeSpec(task(f, [Math.max]), 'the-task'));
    expect(isBaskError(error, 'ERR_UNSHIPPABLE_FUNCTION')).toBe(true);
    expect((error as { key?: string }).key).toBe('the-task');
    expect((error as Error).message).toContain("native function 'max'");
    // The stack still points where the function was refused.
    expect((error as Error).stack).toMatch(/^BaskError: Task 'the-task': /);
    expect((error as Error).stack).toMatch(/fnref\.(ts|js)/);
  });

  it('refuses functions in data, and function markers where data is expected', () => {
    expect(
      isBaskError(
        thrown(() => new CloneEncoder(false).encode([inc])),
        'ERR_SERIALIZE',
      ),
    ).toBe(true);
    const marker = { [MARK]: 'fn', fn: describeFunction(inc) };
    expect(
      isBaskError(
        thrown(() => new CloneDecoder().decode([marker])),
        'ERR_SERIALIZE',
      ),
    ).toBe(true);
    const malformed = { [MARK]: 'fn', fn: { kind: 'source', source: 1 } };
    const decoder = new CloneDecoder(() => inc);
    expect(
      isBaskError(
        thrown(() => decoder.decode([malformed])),
        'ERR_SERIALIZE',
      ),
    ).toBe(true);
  });

  it('names an anonymous callback by its text', () => {
    const makeAnonymous = (): ((x: number) => number) => (x) => x + 1;
    const ref1 = describeFunction(makeAnonymous());
    expect(ref1.kind === 'source' && ref1.name).toBe('(x) => x + 1');
  });

  it('keeps Ref and Task markers apart from callbacks', () => {
    const decoded = encodeDecode(task(f, ref('a'), task(inc, 1))) as Task;
    expect(decoded.args[0]).toBeInstanceOf(Ref);
    expect(decoded.args[1]).toBeInstanceOf(Task);
  });
});

describe('mapContainer', () => {
  const double = (x: unknown): unknown => (typeof x === 'number' ? x * 2 : x);

  it('returns the same array or object when nothing changes', () => {
    const arr = ['a', 'b'];
    const obj = { a: 'x', b: null };
    expect(mapContainer(arr, double)).toBe(arr);
    expect(mapContainer(obj, double)).toBe(obj);
  });

  it('copies on the first change, leaving the input untouched', () => {
    const arr = ['a', 1, 'b', 2];
    const obj = { a: 'x', b: 3 };
    expect(mapContainer(arr, double)).toEqual(['a', 2, 'b', 4]);
    expect(arr).toEqual(['a', 1, 'b', 2]);
    expect(mapContainer(obj, double)).toEqual({ a: 'x', b: 6 });
    expect(obj).toEqual({ a: 'x', b: 3 });
  });

  it('leaves class instances and primitives alone without calling fn', () => {
    const date = new Date(0);
    let calls = 0;
    const count = (x: unknown): unknown => (calls++, x);
    expect(mapContainer(date, count)).toBe(date);
    expect(mapContainer(5, count)).toBe(5);
    expect(calls).toBe(0);
  });
});
