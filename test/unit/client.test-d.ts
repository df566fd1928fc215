/** Type-level tests of the futures API (checked by `tsc`, run by vitest typecheck). */
import { describe, expectTypeOf, it } from 'vitest';
import {
  asCompleted,
  delayed,
  type BaskError,
  type Client,
  type Delayed,
  type Future,
  type FutureView,
} from '../../src/index.node.js';

declare const client: Client;
declare function inc(x: number): number;
declare function join(parts: string[], sep: string): string;

describe('Future types', () => {
  it('awaits to its value, like result()', async () => {
    const f = client.submit(inc, 1);
    expectTypeOf(f).toEqualTypeOf<Future<number>>();
    expectTypeOf(await f).toEqualTypeOf<number>();
    expectTypeOf(f.result()).toEqualTypeOf<Promise<number>>();
    expectTypeOf(client.submit(inc, f)).toEqualTypeOf<Future<number>>();
    expectTypeOf(client.submit(join, ['a', client.submit(String, 1)], '-')).toEqualTypeOf<
      Future<string>
    >();
  });

  it('is a FutureView in a for await loop, and pairs come with results or errors', async () => {
    for await (const f of asCompleted([client.submit(inc, 1)])) {
      expectTypeOf(f).toEqualTypeOf<FutureView<number>>();
      expectTypeOf(f.key).toEqualTypeOf<string>();
      expectTypeOf(await f.result()).toEqualTypeOf<number>();
      expectTypeOf(client.submit(inc, f)).toEqualTypeOf<Future<number>>();
    }
    for await (const [f, r] of asCompleted([client.submit(inc, 1)], { withResults: true })) {
      expectTypeOf(f).toEqualTypeOf<Future<number>>();
      expectTypeOf(r).toEqualTypeOf<number | BaskError>();
    }
  });

  it('keeps shapes: gather, scatter, compute, persist and get', async () => {
    const f = client.submit(inc, 1);
    expectTypeOf(await client.gather({ a: f, b: [f, 'x'] })).toEqualTypeOf<{
      a: number;
      b: (number | string)[];
    }>();
    expectTypeOf(client.scatter([1, 2])).toEqualTypeOf<Future<number>[]>();
    expectTypeOf(client.scatter({ a: 'x', b: 2 })).toEqualTypeOf<{
      a: Future<string>;
      b: Future<number>;
    }>();
    expectTypeOf(client.scatter(new Float64Array(2))).toEqualTypeOf<
      Future<Float64Array<ArrayBuffer>>
    >();
    const d = delayed(inc)(1);
    expectTypeOf(client.compute(d)).toEqualTypeOf<Future<number>>();
    expectTypeOf(client.compute({ d, n: 3 })).toEqualTypeOf<{ d: Future<number>; n: number }>();
    expectTypeOf(client.compute(d, { sync: true })).toEqualTypeOf<Promise<number>>();
    expectTypeOf(client.persist(d)).toEqualTypeOf<Delayed<number>>();
    expectTypeOf(client.get({}, 'x')).toEqualTypeOf<Future<unknown>>();
    expectTypeOf(client.get({}, ['x', ['y']])).toEqualTypeOf<
      (Future<unknown> | Future<unknown>[])[]
    >();
  });
});
