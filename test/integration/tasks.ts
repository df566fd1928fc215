/** Task functions for the cluster tests that need Node (files, process control, sleeping). */
import { appendFileSync, writeFileSync } from 'node:fs';
import { defineTasks } from '../../src/graph/fnref.js';

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

export const tasks = defineTasks(import.meta.url, {
  writeMarkerLater,
  sleep,
  slowAdd,
  pid,
  slowPid,
  exitProcess,
  countedInc,
});
