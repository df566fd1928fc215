/**
 * ProgressBar in Node: real computations on the sync scheduler drive the bar through the
 * hooks; a fake stream records every write, so throttling is asserted by counting writes.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { get, task, ref, type Graph } from '../../src/index.node.js';
import { ProgressBar } from '../../src/diagnostics/progress.js';
import { formatBarLine, formatElapsed } from '../../src/diagnostics/progress-views.js';

interface FakeStream {
  readonly writes: string[];
  readonly isTTY: boolean;
  readonly columns?: number;
  write(text: string): boolean;
}

function fakeStream(isTTY: boolean, columns?: number): FakeStream {
  const writes: string[] = [];
  return {
    writes,
    isTTY,
    columns,
    write(text: string) {
      writes.push(text);
      return true;
    },
  };
}

/** Busy-waits: the sync scheduler runs tasks on this thread, so time passes inside the task. */
function spin(ms: number): number {
  const end = Date.now() + ms;
  let n = 0;
  while (Date.now() < end) n++;
  return n;
}

const inc = (x: number): number => x + 1;

/** `x` plus `n` tasks that each depend on it: n + 1 tasks in all, all keys requested. */
function fanOut(n: number, fn: (x: number) => unknown = inc): { graph: Graph; keys: string[] } {
  const graph: Record<string, unknown> = { x: 1 };
  const keys: string[] = [];
  for (let i = 0; i < n; i++) {
    graph[`inc-${i}`] = task(fn, ref('x'));
    keys.push(`inc-${i}`);
  }
  return { graph, keys };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('ProgressBar (terminal)', () => {
  it('reaches 100% with the right counts and ends the line', async () => {
    const out = fakeStream(true);
    const bar = new ProgressBar({ out, width: 20 });
    const { graph, keys } = fanOut(10);
    await get(graph, keys, { scheduler: 'sync', callbacks: [bar] });
    expect(bar.state).toMatchObject({ total: 11, done: 11, errors: 0, failed: false });
    const last = out.writes.at(-1) ?? '';
    expect(last.startsWith('\r')).toBe(true);
    expect(last.endsWith('\n')).toBe(true);
    expect(last).toContain(`[${'#'.repeat(20)}] | 100% Completed | 11/11 |`);
    expect(out.writes.filter((w) => w.includes('\n'))).toHaveLength(1);
  });

  it('throttles redraws: far fewer writes than tasks, final line present', async () => {
    const out = fakeStream(true);
    const bar = new ProgressBar({ out });
    const { graph, keys } = fanOut(3000);
    await get(graph, keys, { scheduler: 'sync', callbacks: [bar] });
    expect(out.writes.length).toBeLessThan(3001 / 10);
    expect(out.writes.at(-1)).toMatch(
      /^\r\[#{40}\] \| 100% Completed \| 3001\/3001 \| +\d+\.\ds\n$/,
    );
  });

  it('redraws in place with \\r while a slow run progresses', async () => {
    const out = fakeStream(true);
    const bar = new ProgressBar({ out, interval: 10 });
    const { graph, keys } = fanOut(4, () => spin(15));
    await get(graph, keys, { scheduler: 'sync', callbacks: [bar] });
    // The start draw, then one per task (each took longer than the interval), then the final line.
    expect(out.writes.length).toBeGreaterThanOrEqual(5);
    expect(out.writes.every((w) => w.startsWith('\r'))).toBe(true);
    expect(out.writes.slice(0, -1).some((w) => /\| +[1-9]\d?% Completed/.test(w))).toBe(true);
  });

  it('prints only the final line to a stream that is not a TTY', async () => {
    const out = fakeStream(false);
    const bar = new ProgressBar({ out, interval: 1 });
    const { graph, keys } = fanOut(5, () => spin(3));
    await get(graph, keys, { scheduler: 'sync', callbacks: [bar] });
    expect(out.writes).toHaveLength(1);
    expect(out.writes[0]).toMatch(/^\[#+\] \| 100% Completed \| 6\/6 \| .*s\n$/);
  });

  it('draws nothing for runs shorter than `minimum`', async () => {
    const out = fakeStream(true);
    const { graph, keys } = fanOut(20);
    await get(graph, keys, {
      scheduler: 'sync',
      callbacks: [new ProgressBar({ out, minimum: 60 })],
    });
    expect(out.writes).toEqual([]);
  });

  it('draws runs that last longer than `minimum`', async () => {
    const out = fakeStream(false);
    const { graph, keys } = fanOut(1, () => spin(40));
    await get(graph, keys, {
      scheduler: 'sync',
      callbacks: [new ProgressBar({ out, minimum: 0.02 })],
    });
    expect(out.writes).toHaveLength(1);
    expect(out.writes[0]).toContain('100% Completed | 2/2');
  });

  it('shows failures in red on a TTY and keeps the partial count', async () => {
    const out = fakeStream(true);
    const bar = new ProgressBar({ out });
    const graph: Graph = {
      x: 1,
      'ok-0': task(inc, ref('x')),
      'boom-0': task((v: number) => {
        if (v > 0) throw new Error('boom');
        return v;
      }, ref('ok-0')),
      'after-0': task(inc, ref('boom-0')),
    };
    await expect(get(graph, 'after-0', { scheduler: 'sync', callbacks: [bar] })).rejects.toThrow(
      /boom/,
    );
    expect(bar.state).toMatchObject({ total: 4, done: 3, errors: 1, failed: true });
    const last = out.writes.at(-1) ?? '';
    expect(last).toContain('\u001b[31m');
    expect(last).toContain('| 75% Completed | 3/4 | 1 failed |');
    expect(last.endsWith('\n')).toBe(true);
  });

  it('shrinks the bar to fit a narrow terminal', async () => {
    const out = fakeStream(true, 50);
    const { graph, keys } = fanOut(3);
    await get(graph, keys, { scheduler: 'sync', callbacks: [new ProgressBar({ out, width: 40 })] });
    const last = (out.writes.at(-1) ?? '').replace(/^\r/, '').replace(/\n$/, '');
    expect(last.length).toBeLessThan(50);
    expect(last).toContain('100% Completed | 4/4');
  });

  it('works registered for a scope with `using`, and stops when disposed', async () => {
    const out = fakeStream(false);
    const { graph, keys } = fanOut(3);
    {
      using _registration = new ProgressBar({ out }).register();
      await get(graph, keys, { scheduler: 'sync' });
    }
    expect(out.writes).toHaveLength(1);
    await get(graph, keys, { scheduler: 'sync' });
    expect(out.writes).toHaveLength(1);
  });

  it("stops its unref'd ticker when the run finishes", async () => {
    const setSpy = vi.spyOn(globalThis, 'setInterval');
    const clearSpy = vi.spyOn(globalThis, 'clearInterval');
    const bar = new ProgressBar({ out: fakeStream(true) });
    const { graph, keys } = fanOut(3);
    await get(graph, keys, { scheduler: 'sync', callbacks: [bar] });
    expect(setSpy).toHaveBeenCalledTimes(1);
    const handle = setSpy.mock.results[0]?.value as NodeJS.Timeout;
    expect(handle.hasRef()).toBe(false);
    expect(clearSpy).toHaveBeenCalledWith(handle);
  });

  it('rejects invalid options with ERR_INVALID_ARGUMENT', () => {
    expect(() => new ProgressBar({ width: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }) as Error,
    );
    expect(() => new ProgressBar({ minimum: -1 })).toThrow(/minimum/);
    expect(() => new ProgressBar({ interval: Number.NaN })).toThrow(/interval/);
  });
});

describe('progress formatting', () => {
  it('formats elapsed time as Dask does', () => {
    expect(formatElapsed(1234)).toBe(' 1.2s');
    expect(formatElapsed(125_000)).toBe(' 2min  5.0s');
    expect(formatElapsed(3_725_000)).toBe(' 1hr  2min  5.0s');
  });

  it('draws a bar proportional to the fraction done', () => {
    const line = formatBarLine({ total: 10, done: 4, errors: 0, failed: false, elapsed: 1200 }, 20);
    expect(line).toBe(`[${'#'.repeat(8)}${' '.repeat(12)}] | 40% Completed | 4/10 |  1.2s`);
  });
});
