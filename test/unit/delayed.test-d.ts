/** Type-level tests of the lazy API (checked by `tsc`, run by vitest typecheck). */
import { describe, expectTypeOf, it } from 'vitest';
import { compute, delayed, visualize, type Delayed } from '../../src/index.node.js';

interface Column {
  max(): number;
  min(): number;
  values: Float64Array;
}
interface Index {
  at(i: number): Date;
}
interface Frame {
  high: Column;
  low: Column;
  index: Index;
}
declare function readCsv(file: string, options: { parseDates: string[] }): Frame;
declare function fetchText(url: string): Promise<string>;

describe('Delayed types', () => {
  it('mirrors attributes, methods and arithmetic', () => {
    const df = delayed(readCsv)('a.csv', { parseDates: ['timestamp'] });
    expectTypeOf(df).toEqualTypeOf<Delayed<Frame>>();
    expectTypeOf(df.high).toEqualTypeOf<Delayed<Column>>();
    const spread = df.high.max().sub(df.low.min());
    expectTypeOf(spread).toEqualTypeOf<Delayed<number>>();
    expectTypeOf(df.index.at(0)).toEqualTypeOf<Delayed<Date>>();
    expectTypeOf(spread.lt(3)).toEqualTypeOf<Delayed<boolean>>();
    expectTypeOf(df.key).toEqualTypeOf<string>();
  });

  it('awaits async results and accepts Delayed arguments', () => {
    const text = delayed(fetchText)(delayed('https://example.invalid'));
    expectTypeOf(text).toEqualTypeOf<Delayed<string>>();
    expectTypeOf(text.compute()).toEqualTypeOf<Promise<string>>();
    // visualize loads its layout module on demand, hence a promise.
    expectTypeOf(text.visualize()).toEqualTypeOf<Promise<string>>();
    expectTypeOf(visualize(text, { format: 'dot' })).toEqualTypeOf<Promise<string>>();
    // @ts-expect-error a number is not a string argument
    delayed(fetchText)(1);
  });

  it('types compute results in the shape of its arguments', () => {
    const spreads: Delayed<number>[] = [];
    const days: Delayed<Date>[] = [];
    expectTypeOf(compute(spreads, days)).toEqualTypeOf<Promise<[number[], Date[]]>>();
    expectTypeOf(compute(spreads, days, { scheduler: 'sync' })).toEqualTypeOf<
      Promise<[number[], Date[]]>
    >();
    const one = delayed((x: number) => `${x}`)(1);
    expectTypeOf(compute({ a: one, b: 2 })).toEqualTypeOf<Promise<[{ a: string; b: 2 }]>>();
  });

  it('is not thenable: awaiting a Delayed gives the Delayed', () => {
    expectTypeOf<Awaited<Delayed<number>>>().toEqualTypeOf<Delayed<number>>();
    const make = async () => {
      await Promise.resolve();
      return delayed((x: number) => x + 1)(1);
    };
    expectTypeOf(make()).toEqualTypeOf<Promise<Delayed<number>>>();
  });

  it('keeps every overload of a method, and takes callbacks', () => {
    const words = delayed('a b').split(' ');
    expectTypeOf(words).toEqualTypeOf<Delayed<string[]>>();
    expectTypeOf(words.filter((w) => w === 'a')).toEqualTypeOf<Delayed<string[]>>();
    expectTypeOf(delayed('a').replace('a', (m) => m.toUpperCase())).toEqualTypeOf<
      Delayed<string>
    >();
    expectTypeOf(delayed([3, 1]).sort((a, b) => b - a)).toEqualTypeOf<Delayed<number[]>>();
  });

  it('destructures nout results', () => {
    const [a, b] = delayed((x: number): [number, string] => [x, `${x}`], { nout: 2 })(1);
    expectTypeOf(a).toEqualTypeOf<Delayed<number>>();
    expectTypeOf(b).toEqualTypeOf<Delayed<string>>();
  });
});
