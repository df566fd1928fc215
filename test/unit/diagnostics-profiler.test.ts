/**
 * Profiler in Node: records from real sync runs, the task stream SVG, performance.measure
 * entries, errors, and the summary by task group.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { get, task, ref, type Graph } from '../../src/index.node.js';
import { Profiler } from '../../src/diagnostics/profiler.js';
import { ERROR_COLOR, groupColors, keyGroup, timeTicks } from '../../src/diagnostics/svg.js';

const inc = (x: number): number => x + 1;
const add = (a: number, b: number): number => a + b;

/** A diamond of two groups plus a literal: 5 tasks with distinct key prefixes per test. */
function diamond(prefix: string): { graph: Graph; out: string; keys: string[] } {
  const graph: Graph = {
    [`${prefix}data-0`]: 1,
    [`${prefix}inc-0`]: task(inc, ref(`${prefix}data-0`)),
    [`${prefix}inc-1`]: task(inc, ref(`${prefix}data-0`)),
    [`${prefix}inc-2`]: task(inc, ref(`${prefix}inc-1`)),
    [`${prefix}add-0`]: task(add, ref(`${prefix}inc-0`), ref(`${prefix}inc-2`)),
  };
  return { graph, out: `${prefix}add-0`, keys: Object.keys(graph) };
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('Profiler', () => {
  it('records one entry per task, each with start <= end on worker sync', async () => {
    const prof = new Profiler();
    const { graph, out, keys } = diamond('rec');
    expect(await get(graph, out, { scheduler: 'sync', callbacks: [prof] })).toBe(5);
    expect(prof.results.map((r) => r.key).sort()).toEqual([...keys].sort());
    for (const r of prof.results) {
      expect(r.worker).toBe('sync');
      expect(r.start).toBeLessThanOrEqual(r.end);
      expect(r.duration).toBeCloseTo(r.end - r.start, 6);
      expect(r.error).toBeUndefined();
    }
  });

  it('clears its results when a new run starts', async () => {
    const prof = new Profiler();
    const first = diamond('first');
    const second = diamond('second');
    await get(first.graph, first.out, { scheduler: 'sync', callbacks: [prof] });
    await get(second.graph, second.out, { scheduler: 'sync', callbacks: [prof] });
    expect(prof.results).toHaveLength(5);
    expect(prof.results.every((r) => r.key.startsWith('second'))).toBe(true);
  });

  it('draws one bar per task and one lane per worker', async () => {
    const prof = new Profiler();
    const { graph, out } = diamond('svg');
    await get(graph, out, { scheduler: 'sync', callbacks: [prof] });
    const svg = prof.visualize({ width: 600 });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('width="600"');
    expect(count(svg, '<rect class="bask-task"')).toBe(5);
    expect(count(svg, 'class="bask-lane"')).toBe(1);
    expect(svg).toContain('data-worker="sync"');
    expect(svg).toMatch(/<title>svginc-1 · sync · [\d.]+ (µs|ms)<\/title>/);
    const colors = groupColors(['svgdata', 'svginc', 'svgadd']);
    expect(svg).toContain(`fill="${colors.get('svginc')}"`);
    expect(svg).toContain(`fill="${colors.get('svgadd')}"`);
    expect(svg).toMatch(/<text [^>]*>0(\.0+)? ms<\/text>/);
  });

  it('puts tasks of several workers in labelled lanes, in natural order', () => {
    const prof = new Profiler({ measure: false });
    const t = Date.now();
    prof.start({ scheduler: 'test', ntasks: 3, keys: [], time: t });
    for (const [i, worker] of ['worker-10', 'worker-2', 'worker-2'].entries()) {
      prof.taskEnd({ key: `load-${i}`, worker, start: t + i, end: t + i + 2, duration: 2 });
    }
    prof.finish({ scheduler: 'test', time: t + 5, elapsed: 5 });
    const svg = prof.visualize();
    expect(count(svg, 'class="bask-lane"')).toBe(2);
    expect(svg.indexOf('data-worker="worker-2"')).toBeLessThan(
      svg.indexOf('data-worker="worker-10"'),
    );
    expect(count(svg, '<rect class="bask-task"')).toBe(3);
  });

  it('adds a performance.measure entry per task, named after its key', async () => {
    const prof = new Profiler();
    const { graph, out, keys } = diamond('perf');
    await get(graph, out, { scheduler: 'sync', callbacks: [prof] });
    for (const key of keys) {
      const entries = performance.getEntriesByName(key, 'measure');
      expect(entries).toHaveLength(1);
      const record = prof.results.find((r) => r.key === key);
      expect(entries[0]?.startTime).toBeCloseTo((record?.start ?? 0) - performance.timeOrigin, 3);
      expect(entries[0]?.duration).toBeCloseTo(record?.duration ?? -1, 3);
    }
    performance.clearMeasures();
  });

  it('keeps recording where performance.measure does not exist', () => {
    vi.stubGlobal('performance', {
      timeOrigin: performance.timeOrigin,
      now: () => performance.now(),
    });
    const prof = new Profiler();
    prof.start({ scheduler: 'test', ntasks: 1, keys: ['a'], time: 0 });
    prof.taskEnd({ key: 'nomeasure-0', worker: 'w', start: 1, end: 2, duration: 1 });
    expect(prof.results).toHaveLength(1);
  });

  it('records failed tasks with their error and draws them red', async () => {
    const prof = new Profiler();
    const graph: Graph = {
      'fail-x': 1,
      'fail-boom': task((_x: number) => {
        throw new RangeError('boom');
      }, ref('fail-x')),
    };
    await expect(get(graph, 'fail-boom', { scheduler: 'sync', callbacks: [prof] })).rejects.toThrow(
      /boom/,
    );
    expect(prof.results).toHaveLength(2);
    const failed = prof.results.find((r) => r.key === 'fail-boom');
    expect(failed?.error).toBeInstanceOf(Error);
    expect(String((failed?.error as Error).message)).toMatch(/boom/);
    const svg = prof.visualize();
    const bar = /<rect class="bask-task"[^>]*data-key="fail-boom"[^>]*>/.exec(svg)?.[0] ?? '';
    expect(bar).toContain(`fill="${ERROR_COLOR}"`);
    expect(bar).toContain('data-error="true"');
    expect(svg).toMatch(/<title>fail-boom · sync · [^<]*boom<\/title>/);
    performance.clearMeasures();
  });

  it('summarises counts and durations per task group', async () => {
    const prof = new Profiler({ measure: false });
    const { graph, out } = diamond('sum');
    await get(graph, out, { scheduler: 'sync', callbacks: [prof] });
    const summary = prof.summary();
    expect(summary.map((s) => [s.group, s.count]).sort()).toEqual([
      ['sumadd', 1],
      ['sumdata', 1],
      ['suminc', 3],
    ]);
    const incs = summary.find((s) => s.group === 'suminc');
    const total = prof.results
      .filter((r) => keyGroup(r.key) === 'suminc')
      .reduce((t, r) => t + r.duration, 0);
    expect(incs?.total).toBeCloseTo(total, 9);
    expect(incs?.mean).toBeCloseTo(total / 3, 9);
    expect(incs?.errors).toBe(0);
  });

  it('draws an empty chart before any run', () => {
    expect(new Profiler().visualize()).toContain('No tasks recorded');
  });
});

describe('diagnostics svg helpers', () => {
  it('groups keys by the prefix before the last dash', () => {
    expect(keyGroup('inc-3f2a')).toBe('inc');
    expect(keyGroup('read-csv-0')).toBe('read-csv');
    expect(keyGroup('x')).toBe('x');
  });

  it('labels short spans in ms and long spans in seconds, with d3 ticks', () => {
    expect(timeTicks(50, 5).map((t) => t.label)).toEqual([
      '0 ms',
      '10 ms',
      '20 ms',
      '30 ms',
      '40 ms',
      '50 ms',
    ]);
    const long = timeTicks(2500, 5);
    expect(long.map((t) => t.label)).toEqual([
      '0.0 s',
      '0.5 s',
      '1.0 s',
      '1.5 s',
      '2.0 s',
      '2.5 s',
    ]);
    expect(long.map((t) => t.value)).toEqual([0, 500, 1000, 1500, 2000, 2500]);
  });

  it('gives groups stable, distinct colours, never the error red', () => {
    const groups = ['a', 'b', 'inc', 'add', 'read-csv', 'sum', 'load', 'square', 'total', 'data'];
    const colors = groupColors(groups);
    expect(groupColors([...groups].reverse())).toEqual(colors);
    expect(new Set(colors.values()).size).toBe(groups.length);
    expect([...colors.values()]).not.toContain(ERROR_COLOR);
  });
});
