/**
 * Profiler and ResourceProfiler in real Chromium: user timing entries carry the DevTools
 * track detail, and resources come from `performance.memory` without CPU. `visualize` loads
 * its layout module (dagre) on demand.
 */
import { describe, expect, it } from 'vitest';
import { delayed, get, task, ref, visualize, type Graph } from '../../src/index.browser.js';
import { Profiler } from '../../src/diagnostics/profiler.js';
import { ResourceProfiler } from '../../src/diagnostics/resources.js';

function spin(ms: number): number {
  const end = Date.now() + ms;
  let n = 0;
  while (Date.now() < end) n++;
  return n;
}

describe('diagnostics in Chromium', () => {
  it('puts each task on the performance timeline with a DevTools track', async () => {
    const prof = new Profiler();
    const graph: Graph = {
      'chrome-x': 1,
      'chrome-inc-0': task((x: number) => x + 1, ref('chrome-x')),
    };
    await get(graph, 'chrome-inc-0', { scheduler: 'sync', callbacks: [prof] });
    const [entry] = performance.getEntriesByName('chrome-inc-0', 'measure') as PerformanceMeasure[];
    expect(entry).toBeDefined();
    expect(entry?.detail).toMatchObject({
      devtools: { dataType: 'track-entry', track: 'sync', trackGroup: 'bask' },
    });
    expect(prof.visualize()).toContain('<rect class="bask-task"');
    performance.clearMeasures();
  });

  it('samples the JS heap through performance.memory', async () => {
    const rprof = new ResourceProfiler({ dt: 20 });
    const graph: Graph = { x: 0, 'spin-0': task((_x: number) => spin(80), ref('x')) };
    await get(graph, 'spin-0', { scheduler: 'sync', callbacks: [rprof] });
    expect(rprof.results.length).toBeGreaterThanOrEqual(1);
    for (const s of rprof.results) {
      expect(s.memory).toBeGreaterThan(0);
      expect(s.cpu).toBeUndefined();
    }
    expect(rprof.sampling).toBe(false);
    expect(rprof.visualize()).toContain('bask-memory');
  });

  it('draws a Delayed graph, loading the layout module on first use', async () => {
    const a = delayed((x: number) => x + 1, { name: 'chrome-alpha' })(1);
    const b = delayed((x: number, y: number) => x * y, { name: 'chrome-beta' })(a, 2);
    const svg = await b.visualize({ rankdir: 'LR' });
    const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
    expect(doc.documentElement.nodeName).toBe('svg');
    expect(svg).toContain('data-key="chrome-alpha"');
    expect(await visualize(a, b, { format: 'dot' })).toContain('"chrome-alpha" -> "chrome-beta"');
  });
});
