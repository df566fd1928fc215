/**
 * Task functions for the conformance suite, exported from a task module so that every
 * scheduler (sync, pool threads, Web Workers, cluster workers) can run them.
 */
import { defineTasks } from '../../src/graph/fnref.js';

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
});
