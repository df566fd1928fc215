/**
 * Task functions for the conformance suite, exported from a task module so that every
 * scheduler (sync, pool threads, Web Workers, cluster workers) can run them.
 */
import { defineTasks } from '../../src/graph/fnref.js';
import { registerType } from '../../src/wire/registry.js';

function inc(x: number): number {
  return x + 1;
}

function add(a: number, b: number): number {
  return a + b;
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

function fail(message: string): never {
  throw new RangeError(message);
}

async function asyncInc(x: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 1));
  return x + 1;
}

function token(): string {
  return Math.random().toString(36).slice(2);
}

function pair<A, B>(a: A, b: B): [A, B] {
  return [a, b];
}

function describe(value: unknown): string {
  return JSON.stringify(value);
}

function makeObject(a: number, b: string): { a: number; b: string; nested: { list: number[] } } {
  return { a, b, nested: { list: [a, a + 1] } };
}

function bytes(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => i);
}

function total(values: Float64Array): number {
  let t = 0;
  for (const v of values) t += v;
  return t;
}

function divmod(a: number, b: number): [number, number] {
  return [Math.floor(a / b), a % b];
}

/** The row whose `key(row)` is largest (a callback as an argument, as Python's `max(key=)`). */
function maxBy<T>(rows: readonly T[], key: (row: T) => number): T {
  if (rows.length === 0) throw new RangeError('maxBy of an empty array');
  let best = rows[0] as T;
  for (const row of rows) if (key(row) > key(best)) best = row;
  return best;
}

/** Dask's `mysum(a, b, c=(), **kwargs)`, with the keyword arguments as an options object. */
function mysum(a: number, b: number, options: { c?: number[]; [name: string]: unknown }): number {
  const { c = [], ...rest } = options;
  return a + b + sum(c) + sum(Object.values(rest) as number[]);
}

/** Calls the callbacks of `fns` (an array or an object of functions, at any depth) on `x`. */
function applyAll(fns: unknown, x: number): unknown {
  if (typeof fns === 'function') return (fns as (v: number) => unknown)(x);
  if (Array.isArray(fns)) return fns.map((f) => applyAll(f, x));
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(fns as Record<string, unknown>)) out[k] = applyAll(f, x);
  return out;
}

/** A value with an `add` method of its own, which the `add` op calls (Python's `__add__`). */
class Money {
  constructor(readonly cents: number) {}
  add(other: { cents: number }): number {
    return this.cents + other.cents;
  }
}

registerType(Money, {
  name: 'conformance.Money',
  moduleUrl: import.meta.url,
  encode: (m: Money) => m.cents,
  decode: (cents: number) => new Money(cents),
});

function money(cents: number): Money {
  return new Money(cents);
}

/** The suite's task module. */
export const tasks = defineTasks(import.meta.url, {
  inc,
  add,
  sum,
  fail,
  asyncInc,
  token,
  pair,
  describe,
  makeObject,
  bytes,
  total,
  divmod,
  maxBy,
  mysum,
  applyAll,
  money,
});
