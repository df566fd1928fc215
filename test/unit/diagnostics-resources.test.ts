/**
 * ResourceProfiler in Node: samples from real sync runs (busy-waiting tasks hold the thread,
 * async tasks leave it to the timer), the timer's lifetime, and the chart.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { get, task, ref, type Graph } from '../../src/index.node.js';
import { ResourceProfiler, readResources } from '../../src/diagnostics/resources.js';

/** Busy-waits: the sync scheduler runs tasks on this thread, so no timer fires meanwhile. */
function spin(ms: number): number {
  const end = Date.now() + ms;
  let n = 0;
  while (Date.now() < end) n++;
  return n;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function graphOf(fn: (x: number) => unknown, n: number): { graph: Graph; keys: string[] } {
  const graph: Record<string, unknown> = { x: 0 };
  const keys: string[] = [];
  for (let i = 0; i < n; i++) {
    graph[`work-${i}`] = task(fn, ref('x'));
    keys.push(`work-${i}`);
  }
  return { graph, keys };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('ResourceProfiler', () => {
  it('samples memory and CPU during a run that holds the thread longer than dt', async () => {
    const rprof = new ResourceProfiler({ dt: 50 });
    const { graph, keys } = graphOf(() => spin(250), 1);
    const before = Date.now();
    await get(graph, keys, { scheduler: 'sync', callbacks: [rprof] });
    const after = Date.now();
    expect(rprof.results.length).toBeGreaterThanOrEqual(1);
    for (const s of rprof.results) {
      expect(s.time).toBeGreaterThanOrEqual(before - 1);
      expect(s.time).toBeLessThanOrEqual(after + 1);
      expect(s.memory).toBeGreaterThan(0);
      expect(s.heap).toBeGreaterThan(0);
      expect(s.cpu).toBeGreaterThanOrEqual(0);
    }
  });

  it('samples from its timer while the thread waits on async tasks', async () => {
    const rprof = new ResourceProfiler({ dt: 50 });
    const { graph, keys } = graphOf(() => sleep(250), 1);
    await get(graph, keys, { scheduler: 'sync', callbacks: [rprof] });
    // The timer fired during the wait and finish added the last sample.
    expect(rprof.results.length).toBeGreaterThanOrEqual(2);
    const times = rprof.results.map((s) => s.time);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it("runs an unref'd timer only between start and finish", async () => {
    const setSpy = vi.spyOn(globalThis, 'setInterval');
    const clearSpy = vi.spyOn(globalThis, 'clearInterval');
    const rprof = new ResourceProfiler({ dt: 20 });
    let samplingDuringRun = false;
    const { graph, keys } = graphOf(() => {
      samplingDuringRun = rprof.sampling;
      return sleep(60);
    }, 1);
    await get(graph, keys, { scheduler: 'sync', callbacks: [rprof] });
    expect(samplingDuringRun).toBe(true);
    expect(rprof.sampling).toBe(false);
    expect(setSpy).toHaveBeenCalledTimes(1);
    const handle = setSpy.mock.results[0]?.value as NodeJS.Timeout;
    expect(handle.hasRef()).toBe(false);
    expect(clearSpy).toHaveBeenCalledWith(handle);
    const samples = rprof.results.length;
    await sleep(80);
    expect(rprof.results).toHaveLength(samples);
  });

  it('stops sampling when its registration ends mid-run', () => {
    const rprof = new ResourceProfiler({ dt: 10 });
    const registration = rprof.register();
    rprof.start({ scheduler: 'test', ntasks: 1, keys: [], time: Date.now() });
    expect(rprof.sampling).toBe(true);
    registration.unregister();
    expect(rprof.sampling).toBe(false);
  });

  it('clears its samples when a new run starts', async () => {
    const rprof = new ResourceProfiler({ dt: 10 });
    const slow = graphOf(() => spin(40), 2);
    await get(slow.graph, slow.keys, { scheduler: 'sync', callbacks: [rprof] });
    const firstRun = rprof.results;
    expect(firstRun.length).toBeGreaterThanOrEqual(2);
    const quick = graphOf(() => 1, 1);
    await get(quick.graph, quick.keys, { scheduler: 'sync', callbacks: [rprof] });
    expect(rprof.results).toHaveLength(1);
    expect(rprof.results[0]?.time).toBeGreaterThan(firstRun.at(-1)?.time ?? Infinity);
  });

  it('draws memory and CPU line charts', async () => {
    const rprof = new ResourceProfiler({ dt: 20 });
    const { graph, keys } = graphOf(() => spin(30), 3);
    await get(graph, keys, { scheduler: 'sync', callbacks: [rprof] });
    const svg = rprof.visualize({ width: 500 });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('width="500"');
    expect(svg).toContain('class="bask-panel bask-memory"');
    expect(svg).toContain('class="bask-panel bask-cpu"');
    expect(svg).toMatch(/<text [^>]*>\d+ MB<\/text>/);
    expect(svg).toMatch(/<text [^>]*>\d+%<\/text>/);
    expect(svg).toMatch(/<text [^>]*>0(\.0+)? m?s<\/text>/);
  });

  it('reads Node memory and CPU', () => {
    const reading = readResources();
    expect(reading?.memory).toBeGreaterThan(0);
    expect(reading?.cpu).toBeGreaterThan(0);
  });

  it('rejects a dt that is not a positive number', () => {
    expect(() => new ResourceProfiler({ dt: 0 })).toThrow(/dt/);
  });
});
