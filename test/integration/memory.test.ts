/**
 * Memory like Dask's worker, on real `bask scheduler` and `bask worker` processes: results past
 * the memory limit spill to disk and come back; a worker past its pause threshold takes no new
 * tasks until its memory falls; one past terminate is restarted by its supervisor and its data
 * recomputed. What is checked is what `/metrics` reports while it runs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../temp-dir.js';
import { Client } from '../../src/index.node.js';
import { tasks as big } from '../../bench/memory-tasks.js';
import { tasks as hogs } from './memory-tasks.js';
import { parsePrometheusText } from '../e2e/prometheus.js';
import { startScheduler, startWorker, waitForWorkers } from './cluster.js';

const MiB = 2 ** 20;

/** One reading of /metrics: per worker process memory, spilled bytes, pause; event counters. */
interface Reading {
  memory: Record<string, number>;
  spilled: Record<string, number>;
  paused: Record<string, number>;
  events: Record<string, number>;
}

async function readMetrics(http: string): Promise<Reading> {
  const text = await (await fetch(`${http}/metrics`)).text();
  parsePrometheusText(text); // throws on a malformed line
  const out: Reading = { memory: {}, spilled: {}, paused: {}, events: {} };
  const series = {
    bask_worker_memory_bytes: out.memory,
    bask_worker_spilled_bytes: out.spilled,
    bask_worker_paused: out.paused,
  };
  for (const m of text.matchAll(/^(\w+)\{(?:worker|event)="([^"]+)"\} (\S+)$/gm)) {
    const [, name, label, value] = m as unknown as [string, string, string, string];
    if (name === 'bask_events_total') out.events[label] = Number(value);
    else if (name in series) series[name as keyof typeof series][label] = Number(value);
  }
  return out;
}

/** Reads /metrics until `done` settles; every reading, in order. */
async function sampleUntil(http: string, done: Promise<unknown>): Promise<Reading[]> {
  let finished = false;
  void done.then(
    () => (finished = true),
    () => (finished = true),
  );
  const readings: Reading[] = [];
  while (!finished) {
    readings.push(await readMetrics(http));
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  readings.push(await readMetrics(http));
  return readings;
}

/** Reads /metrics until `check` holds for a reading; returns it. */
async function until(http: string, check: (r: Reading) => boolean): Promise<Reading> {
  for (;;) {
    const r = await readMetrics(http);
    if (check(r)) return r;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('worker memory', () => {
  it('spills results worth 3x the memory limit to disk and keeps RSS under the limit', async () => {
    const { address, http } = await startScheduler();
    const limit = 200 * MiB;
    await startWorker(address, ['--name', 'm', '--nthreads', '1', '--memory-limit', '200MiB']);
    await waitForWorkers(http, 1);
    const client = await Client.connect(address, { setAsDefault: false });
    try {
      const n = 30;
      const arrays = Array.from({ length: n }, (_, i) => client.submit(big.bigArray, i, 20));
      const all = client.gather(arrays.map((a) => client.submit(big.sumArray, a)));
      const readings = await sampleUntil(http, all);
      const sums = await all;
      expect(sums).toEqual(Array.from({ length: n }, (_, i) => (i * 20 * MiB) / 8));
      // Every array is still held (the futures are alive): some came back from disk to be summed.
      const [first, last] = await client.gather([arrays[0], arrays[n - 1]]);
      expect(first?.length).toBe((20 * MiB) / 8);
      expect(first?.every((x) => x === 0)).toBe(true);
      expect(last?.every((x) => x === n - 1)).toBe(true);
      const rss = readings.map((r) => r.memory['m'] ?? 0);
      const spilled = readings.map((r) => r.spilled['m'] ?? 0);
      expect(Math.max(...rss)).toBeGreaterThan(0);
      expect(Math.max(...rss)).toBeLessThan(limit);
      expect(Math.max(...spilled)).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });

  it('gives no new tasks to a worker past its pause threshold, and goes on once its memory falls', async () => {
    const { address, http } = await startScheduler();
    const dir = tempDir('bask-pause-');
    const release = join(dir, 'release');
    // Pause at half of 200 MiB (a bare worker process uses about 70 MiB); no restarts here.
    await startWorker(address, [
      '--name',
      'hog',
      '--nthreads',
      '1',
      '--memory-limit',
      '200MiB',
      '--memory-pause',
      '0.5',
      '--memory-terminate',
      'false',
    ]);
    await startWorker(address, ['--name', 'free', '--nthreads', '1']);
    await waitForWorkers(http, 2);
    const client = await Client.connect(address, { setAsDefault: false });
    try {
      // 100 MiB held in the hog's thread: past half of its 200 MiB with what the process uses.
      await client.submit(hogs.hogUntil, 100, release, { workers: ['hog/0'], pure: false });
      const paused = await until(http, (r) => r.paused['hog'] === 1);
      expect(paused.events['memoryPaused']).toBeGreaterThanOrEqual(1);
      // Paused: every new task goes to the other worker.
      const spread = client.map(big.sumArray, [new Float64Array([1]), new Float64Array([2])]);
      await client.gather(spread);
      const holders = await client.whoHas(spread.map((f) => f.key));
      expect([...holders.values()].flat()).toEqual(['free/0', 'free/0']);
      // A task only the hog may run waits for it, and runs once its memory falls.
      const pinned = client.submit(big.bigArray, 3, 1, { workers: ['hog/0'] });
      writeFileSync(release, 'go');
      expect((await pinned.result())[0]).toBe(3);
      await until(http, (r) => r.paused['hog'] === 0);
    } finally {
      await client.close();
    }
  });

  it('restarts a worker past its terminate threshold and recomputes its data', async () => {
    const { address, http } = await startScheduler();
    const dir = tempDir('bask-terminate-');
    const marker = join(dir, 'hogged');
    await startWorker(address, ['--name', 't', '--nthreads', '1', '--memory-limit', '200MiB']);
    await waitForWorkers(http, 1);
    const client = await Client.connect(address, { setAsDefault: false });
    try {
      const kept = client.submit(big.bigArray, 7, 1);
      expect((await kept.result())[0]).toBe(7);
      // 250 MiB held for good: past 0.95 of 200 MiB, so the process is restarted; the hog task
      // runs again there (returning at once now) and `kept` is recomputed from its lineage.
      const hog = client.submit(hogs.hogOnce, marker, 250, 42);
      expect(await hog.result()).toBe(42);
      const after = await until(http, (r) => (r.events['memoryRestarts'] ?? 0) >= 1);
      expect(after.events['memoryRestarts']).toBe(1);
      const [again] = await client.gather([kept]);
      expect(again?.[0]).toBe(7);
    } finally {
      await client.close();
    }
  });
});
