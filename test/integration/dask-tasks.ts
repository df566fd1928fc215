/**
 * Task functions for the ports of dask.distributed's client tests (test_client.py and
 * test_as_completed.py), for a cluster and for `Client.local`. Dask's fixtures that hold state
 * in the test process (`varying`, `Event`, config) become files here: a task may run in
 * another process, so the state it shares with the test lives on disk.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { defineTasks } from '../../src/graph/fnref.js';

function inc(x: number): number {
  return x + 1;
}

function dec(x: number): number {
  return x - 1;
}

function add(a: number, b: number): number {
  return a + b;
}

/** Dask's `double` on a list: the list twice. */
function double(x: readonly number[]): number[] {
  return [...x, ...x];
}

/** Dask's `div`: fails on a zero divisor, as Python does. */
function div(a: number, b: number): number {
  if (b === 0) throw new RangeError('division by zero');
  return a / b;
}

/** Dask's `throws`. */
function throws(_x: unknown): never {
  throw new Error('hello!');
}

function throwsTypeError(_a: unknown, _b: unknown): never {
  throw new TypeError('a TypeError');
}

function throwsRangeError(_a: unknown, _b: unknown): never {
  throw new RangeError('a RangeError');
}

/** `x + 1` after `ms` milliseconds (Dask's `slowinc`). */
async function slowinc(x: number, ms = 50): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return x + 1;
}

function sleep<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms));
}

function identity<T>(x: T): T {
  return x;
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/** Dask's `assert_list`: both arguments arrived as arrays. */
function assertList(x: unknown, z: unknown = []): boolean {
  return Array.isArray(x) && Array.isArray(z);
}

/** A random integer (pure by key: equal calls share one result, as in Dask). */
function randomInt(): number {
  return Math.floor(Math.random() * 1_000_000);
}

/**
 * Dask's `varying`: the n-th call (counted in the file at `path`) returns `outcomes[n]`, or
 * throws when it is a string starting with 'error:'. The last outcome repeats.
 */
function varying(path: string, outcomes: readonly (number | string)[]): number {
  const calls = existsSync(path) ? readFileSync(path, 'utf8').length : 0;
  appendFileSync(path, 'x');
  const outcome = outcomes[Math.min(calls, outcomes.length - 1)] as number | string;
  if (typeof outcome === 'string') throw new Error(outcome.replace(/^error:/, ''));
  return outcome;
}

/** `value + 100` once the file at `path` exists, else fails (Dask's config-dependent tasks). */
function plus100Once(path: string, value: number): number {
  if (!existsSync(path)) throw new Error(`no ${path} yet`);
  return value + 100;
}

/** Waits until the file at `path` exists (Dask's `Event`), then returns `value`. */
async function blockUntil<T>(path: string, value: T): Promise<T> {
  while (!existsSync(path)) await new Promise((resolve) => setTimeout(resolve, 5));
  return value;
}

/** The worker process's id, after its input (which places the task after its input). */
function pid(_after?: unknown): number {
  return process.pid;
}

/** Sums an array of numbers plus an offset (Dask's `reducer`). */
function reducer(values: readonly number[], offset = 0): number {
  return sum(values) + offset;
}

export const tasks = defineTasks(import.meta.url, {
  inc,
  dec,
  add,
  double,
  div,
  throws,
  throwsTypeError,
  throwsRangeError,
  slowinc,
  sleep,
  identity,
  sum,
  assertList,
  randomInt,
  varying,
  plus100Once,
  blockUntil,
  pid,
  reducer,
});
