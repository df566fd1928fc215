/**
 * Task functions for the tests of the pool of worker processes: which process runs a task,
 * values of every kind the codec must carry, errors with codes, and deaths counted in files
 * (processes share no memory, so the threads' shared counters cannot say "first run").
 */
import { openSync, closeSync } from 'node:fs';
import { defineTasks } from '../../src/graph/fnref.js';
import { Point } from './point.js';

function pid(_dep?: unknown): number {
  return process.pid;
}

/** A value of every kind that must cross processes as itself. */
function makeValue(k: number): {
  point: Point;
  when: Date;
  numbers: Float64Array;
  table: Map<string, Set<number>>;
  nested: { list: (number | null | undefined)[] };
} {
  return {
    point: new Point(3 * k, 4 * k),
    when: new Date(Date.UTC(2024, 0, k)),
    numbers: new Float64Array([k, k / 2, -k]),
    table: new Map([[`k${k}`, new Set([k, k + 1])]]),
    nested: { list: [k, null, undefined] },
  };
}

/** What a worker sees of two values made elsewhere: their kinds, checked there. */
function inspect(a: ReturnType<typeof makeValue>, b: ReturnType<typeof makeValue>): string[] {
  return [a, b].map(
    (v) =>
      `${v.point instanceof Point ? `Point norm=${v.point.norm()}` : 'not a Point'} ` +
      `${v.when instanceof Date ? v.when.toISOString().slice(0, 10) : 'not a Date'} ` +
      `${v.numbers instanceof Float64Array ? v.numbers.join('/') : 'not a Float64Array'} ` +
      `${v.table instanceof Map ? [...v.table].map(([k, s]) => `${k}:${[...s].join('+')}`).join() : 'not a Map'}`,
  );
}

class QuotaError extends Error {
  readonly code = 'E_QUOTA';
}

/** Throws an error with a code of its own, from a named function. */
function failWithCode(limit: number): never {
  throw new QuotaError(`over quota (limit ${limit})`);
}

/** Ends its process the first time `marker` is claimed (a file made with O_EXCL). */
function exitOnceFile(marker: string, value: number): number {
  let first = false;
  try {
    closeSync(openSync(marker, 'wx'));
    first = true;
  } catch {
    first = false;
  }
  if (first) process.exit(1);
  return value;
}

/** Always ends its process. */
function bomb(): never {
  process.exit(3);
}

/** Ends its process, after its inputs were computed (their results may not be sent yet). */
function bombAfter(..._inputs: unknown[]): never {
  process.exit(3);
}

/** Throws in the process's event loop after returning (an uncaught error). */
function throwLater(value: number): number {
  setTimeout(() => {
    throw new Error('uncaught in the worker process');
  }, 0);
  return value;
}

function spinForever(): never {
  for (;;) {
    // a task that never ends on its own
  }
}

function sleep(ms: number, value: number): Promise<number> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms));
}

/** Tries to compute on worker processes from inside one: refused, never a tree of processes. */
async function nested(): Promise<string> {
  const bask = await import('../../src/index.node.js');
  try {
    await bask.compute(bask.delayed(add)(1, 2), { scheduler: 'processes' });
    return 'computed';
  } catch (error) {
    return bask.isBaskError(error) ? `${error.code}: ${error.message}` : String(error);
  }
}

function add(a: number, b: number): number {
  return a + b;
}

export const tasks = defineTasks(import.meta.url, {
  pid,
  makeValue,
  inspect,
  failWithCode,
  exitOnceFile,
  bomb,
  bombAfter,
  throwLater,
  spinForever,
  sleep,
  nested,
  add,
});
