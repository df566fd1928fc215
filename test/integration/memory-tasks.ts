/** Task functions for the memory tests: memory held outside any result (big results: bench/memory-tasks.ts). */
import { existsSync, writeFileSync } from 'node:fs';
import { defineTasks } from '../../src/graph/fnref.js';

const hogs: Uint8Array[] = [];

/**
 * Holds `mib` MiB in its thread (not a result: nothing can spill it) until `release` exists,
 * then lets it go and collects it; returns at once.
 */
function hogUntil(mib: number, release: string): number {
  const hog = new Uint8Array(mib * 2 ** 20).fill(1);
  hogs.push(hog);
  const timer = setInterval(() => {
    if (!existsSync(release)) return;
    clearInterval(timer);
    hogs.splice(hogs.indexOf(hog), 1);
    (globalThis as { gc?: () => void }).gc?.();
  }, 20);
  return mib;
}

/**
 * The first time (no `marker` yet): writes `marker`, then holds `mib` MiB for good (a task
 * past the worker's memory limit). After that: returns `value` at once.
 */
function hogOnce(marker: string, mib: number, value: number): number {
  if (existsSync(marker)) return value;
  writeFileSync(marker, 'hogged');
  hogs.push(new Uint8Array(mib * 2 ** 20).fill(1));
  return value;
}

export const tasks = defineTasks(import.meta.url, { hogUntil, hogOnce });
