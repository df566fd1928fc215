/** Task functions for the cluster tests that need Node (files, process control, sleeping). */
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { defineTasks } from '../../src/graph/fnref.js';
import { registerType } from '../../src/wire/registry.js';

async function writeMarkerLater(path: string, ms: number): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  writeFileSync(path, 'done');
  return path;
}

function sleep(ms: number, value: number): Promise<number> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms));
}

function slowAdd(a: number, b: number, ms: number): Promise<number> {
  return new Promise((resolve) => setTimeout(() => resolve(a + b), ms));
}

/** Ends its worker thread (process.exit in a worker_thread ends the thread): a crashing task. */
function exitProcess(code: number): never {
  process.exit(code);
}

/** Its worker process's pid, after a pause (so that a run lasts long enough to share). */
async function slowPid(ms: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return process.pid;
}

function pid(_dep?: unknown): number {
  return process.pid;
}

/** Appends a line to `path` (each run counts) and returns `value + 1`. */
function countedInc(path: string, value: number): number {
  appendFileSync(path, `${value}\n`);
  return value + 1;
}

/**
 * `value + 1`, except on a worker started with BASK_TEST_LIAR=1: there it returns a wrong
 * answer and appends a line to BASK_TEST_LIAR_LOG for every lie (a machine that cheats).
 */
function liarInc(value: number): number {
  if (process.env['BASK_TEST_LIAR'] === '1') {
    appendFileSync(process.env['BASK_TEST_LIAR_LOG'] as string, `${value}\n`);
    return value + 1000;
  }
  return value + 1;
}

/** Blocks its thread for good (no CPU used): only ending the thread gets it back. */
function blockForever(): never {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  throw new Error('unreachable');
}

/** `2 * value`, except on a worker started with BASK_TEST_HANG=1: there it never returns. */
function doubleUnlessStuck(value: number): number {
  if (process.env['BASK_TEST_HANG'] === '1') blockForever();
  return 2 * value;
}

/**
 * A value whose wire encoding is honest the first time and forged after, on a worker started
 * with BASK_TEST_FORGER=1: its result hash (the first encoding) is right, and the bytes it
 * serves to peers later are not — a machine that hashes honestly and then lies.
 */
export class Sealed {
  constructor(readonly n: number) {}
}
let encodings = 0;
registerType(Sealed, {
  name: 'test.Sealed',
  moduleUrl: import.meta.url,
  encode: (s) => (process.env['BASK_TEST_FORGER'] === '1' && ++encodings > 1 ? s.n + 1000 : s.n),
  decode: (n: number) => new Sealed(n),
});

function seal(n: number): Sealed {
  return new Sealed(n);
}

function unseal(s: Sealed): number {
  return s.n;
}

/** `value`, once `path` exists (polled): tasks that stay in flight until the test lets them go. */
async function valueWhenFileExists(path: string, value: number): Promise<number> {
  while (!existsSync(path)) await new Promise((resolve) => setTimeout(resolve, 20));
  return value;
}

/** Never returns, anywhere. */
function hangEverywhere(_value: number): number {
  return blockForever();
}

export const tasks = defineTasks(import.meta.url, {
  writeMarkerLater,
  sleep,
  slowAdd,
  pid,
  slowPid,
  exitProcess,
  countedInc,
  liarInc,
  doubleUnlessStuck,
  hangEverywhere,
  seal,
  unseal,
  valueWhenFileExists,
});
