/**
 * Task functions for the pool tests (Node worker_threads): crashes, hangs, big buffers and
 * registered types. Exported from a task module so the workers can import them.
 */
import { defineTasks } from '../../src/graph/fnref.js';
import { Point } from './point.js';

function makeArray(n: number, fill: number): Float64Array {
  return new Float64Array(n).fill(fill);
}

function sumArrays(a: Float64Array, b: Float64Array): number {
  let total = 0;
  for (let i = 0; i < a.length; i += 4096) total += a[i]! + b[i]!;
  return total + a.length + b.length;
}

function firstOf(a: Float64Array): number {
  return a[0]!;
}

function scale(a: Float64Array, k: number): Float64Array {
  for (let i = 0; i < a.length; i++) a[i]! *= k;
  return a;
}

/** Kills its worker the first time each slot is run (counted in shared memory). */
function exitOnce(flags: Int32Array, slot: number, value: number): number {
  if (Atomics.add(flags, slot, 1) === 0) process.exit(1);
  return value;
}

/** Kills its worker the first time (per flag slot); then the sum of the bytes. */
function byteSumAfterExit(flags: Int32Array, slot: number, bytes: Uint8Array): number {
  if (Atomics.add(flags, slot, 1) === 0) process.exit(1);
  return byteSum(bytes);
}

function byteSum(bytes: Uint8Array): number {
  let total = 0;
  for (const b of bytes) total += b;
  return total;
}

/** Always kills its worker. */
function bomb(): never {
  process.exit(3);
}

/** Throws in the worker's global scope after returning (an uncaught error). */
/** Ends its worker, after its inputs were computed (their results may not be sent yet). */
function bombAfter(..._inputs: unknown[]): never {
  process.exit(3);
}

function throwLater(value: number): number {
  setTimeout(() => {
    throw new Error('uncaught in the worker');
  }, 0);
  return value;
}

function spinForever(): never {
  for (;;) {
    // a task that never ends on its own
  }
}

/** Marks slot 0 of `flags` (it started), then holds its worker until slot 1 is set. */
function holdUntilReleased(flags: Int32Array): number {
  Atomics.store(flags, 0, 1);
  while (Atomics.load(flags, 1) === 0) Atomics.wait(flags, 1, 0, 50);
  return 0;
}

/** An async function that waits for nothing: its promise settles at once. */
async function addAsync(a: number, b: number): Promise<number> {
  return Promise.resolve(a + b);
}

function sleep(ms: number, value: number): Promise<number> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms));
}

function add(a: number, b: number): number {
  return a + b;
}

function makePoint(x: number, y: number): Point {
  return new Point(x, y);
}

function describePoint(p: unknown): string {
  return p instanceof Point
    ? `Point(${p.x},${p.y}) norm=${p.norm()}`
    : `not a Point: ${JSON.stringify(p)}`;
}

function workerName(_dep?: unknown): string {
  return (globalThis as { name?: string }).name ?? 'unnamed';
}

export const tasks = defineTasks(import.meta.url, {
  makeArray,
  sumArrays,
  firstOf,
  scale,
  exitOnce,
  byteSum,
  byteSumAfterExit,
  bombAfter,
  bomb,
  throwLater,
  spinForever,
  holdUntilReleased,
  sleep,
  add,
  addAsync,
  makePoint,
  describePoint,
  workerName,
});
