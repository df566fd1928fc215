/**
 * The task stream of large runs (issue 15): past 2,000 tasks each lane is binned by pixel
 * column, so the SVG stays bounded (about one bar per column per lane) whatever the task
 * count, every task is still accounted for in the bars' counts, and failed tasks keep a bar
 * of their own.
 */
import { describe, expect, it } from 'vitest';
import { renderTaskStream, type TaskRecord } from '../../src/diagnostics/task-stream.js';
import { ERROR_COLOR } from '../../src/diagnostics/svg.js';

/** `n` back-to-back tasks alternating between two groups, spread over `workers` lanes. */
function records(n: number, workers: number, failEvery = 0): TaskRecord[] {
  const out: TaskRecord[] = [];
  for (let i = 0; i < n; i++) {
    const lane = i % workers;
    const start = 1_000 + Math.floor(i / workers) * 0.5;
    const group = i % 3 === 0 ? 'read-prices' : 'getattr';
    out.push({
      key: `${group}-${i}`,
      worker: `worker-${lane}`,
      start,
      end: start + 0.4,
      duration: 0.4,
      ...(failEvery > 0 && i % failEvery === 0 ? { error: new Error(`bad ${i}`) } : {}),
    });
  }
  return out;
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

describe('renderTaskStream at scale', () => {
  it('draws one bar per task up to 2,000 tasks', () => {
    const svg = renderTaskStream(records(2_000, 2));
    expect(count(svg, '<rect class="bask-task"')).toBe(2_000);
    expect(count(svg, 'class="bask-span"')).toBe(0);
  });

  it('bins 100,000 tasks into at most one bar per pixel column per lane', () => {
    const width = 800;
    const svg = renderTaskStream(records(100_000, 2), { width });
    const spans = count(svg, 'class="bask-span"');
    expect(spans).toBeGreaterThan(0);
    expect(spans).toBeLessThanOrEqual(2 * width);
    expect(count(svg, '<rect class="bask-task"')).toBe(0);
    const counted = [...svg.matchAll(/data-tasks="(\d+)"/g)].reduce((n, m) => n + Number(m[1]), 0);
    expect(counted).toBe(100_000);
    expect(svg).toContain('100,000 tasks: each bar is');
  });

  it('keeps a red bar for each failed task when binning', () => {
    const svg = renderTaskStream(records(10_000, 2, 1_000));
    const failed = [...svg.matchAll(/<rect class="bask-task"[^>]*>/g)].map((m) => m[0]);
    expect(failed).toHaveLength(10);
    for (const bar of failed) {
      expect(bar).toContain(`fill="${ERROR_COLOR}"`);
      expect(bar).toContain('data-error="true"');
    }
  });

  it('marks zero-length tasks too', () => {
    const instant = records(5_000, 1).map((r) => ({ ...r, end: r.start, duration: 0 }));
    const svg = renderTaskStream(instant);
    const counted = [...svg.matchAll(/data-tasks="(\d+)"/g)].reduce((n, m) => n + Number(m[1]), 0);
    expect(counted).toBe(5_000);
  });
});
