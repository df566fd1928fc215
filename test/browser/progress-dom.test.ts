/**
 * ProgressBar in real Chromium: the DOM view renders a <progress> and a text line, ends full,
 * and marks failures.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { get, task, ref, type Graph } from '../../src/index.browser.js';
import { ProgressBar } from '../../src/diagnostics/progress.js';

const inc = (x: number): number => x + 1;
const sleep = (ms: number): Promise<number> =>
  new Promise((resolve) => setTimeout(() => resolve(ms), ms));

function fanOut(n: number, fn: (x: number) => unknown = inc): { graph: Graph; keys: string[] } {
  const graph: Record<string, unknown> = { x: 1 };
  const keys: string[] = [];
  for (let i = 0; i < n; i++) {
    graph[`step-${i}`] = task(fn, ref('x'));
    keys.push(`step-${i}`);
  }
  return { graph, keys };
}

function mount(): HTMLElement {
  const host = document.createElement('div');
  document.body.append(host);
  return host;
}

afterEach(() => {
  document.body.replaceChildren();
});

describe('ProgressBar (DOM)', () => {
  it('renders a <progress> that ends full, with the counts in its text', async () => {
    const host = mount();
    const { graph, keys } = fanOut(20);
    await get(graph, keys, { scheduler: 'sync', callbacks: [new ProgressBar({ element: host })] });
    const progress = host.querySelector('progress');
    expect(progress).not.toBeNull();
    expect(progress?.max).toBe(21);
    expect(progress?.value).toBe(progress?.max);
    const text = host.querySelector('.bask-progress-text')?.textContent ?? '';
    expect(text).toContain('21/21 tasks');
    expect(text).toContain('100%');
    const root = host.querySelector('.bask-progress');
    expect(root?.classList.contains('bask-progress-done')).toBe(true);
    expect(root?.classList.contains('bask-progress-error')).toBe(false);
  });

  it('updates through animation frames while async tasks run, then shows the final state', async () => {
    const host = mount();
    const { graph, keys } = fanOut(6, () => sleep(30));
    await get(graph, keys, {
      scheduler: 'sync',
      callbacks: [new ProgressBar({ element: host, interval: 20 })],
    });
    const progress = host.querySelector('progress');
    expect(host.querySelectorAll('progress')).toHaveLength(1);
    expect(progress?.value).toBe(7);
    expect(progress?.max).toBe(7);
    expect(host.textContent).toContain('7/7 tasks');
  });

  it('reuses its elements across runs', async () => {
    const host = mount();
    const bar = new ProgressBar({ element: host });
    const first = fanOut(3);
    await get(first.graph, first.keys, { scheduler: 'sync', callbacks: [bar] });
    const second = fanOut(5);
    await get(second.graph, second.keys, { scheduler: 'sync', callbacks: [bar] });
    expect(host.querySelectorAll('progress')).toHaveLength(1);
    expect(host.textContent).toContain('6/6 tasks');
  });

  it('marks a failed run with the error class and state', async () => {
    const host = mount();
    const graph: Graph = {
      x: 1,
      'bad-0': task((_x: number) => {
        throw new Error('boom');
      }, ref('x')),
      'after-0': task(inc, ref('bad-0')),
    };
    await expect(
      get(graph, 'after-0', { scheduler: 'sync', callbacks: [new ProgressBar({ element: host })] }),
    ).rejects.toThrow(/boom/);
    const root = host.querySelector<HTMLElement>('.bask-progress');
    expect(root?.classList.contains('bask-progress-error')).toBe(true);
    expect(root?.dataset['state']).toBe('error');
    expect(host.querySelector('progress')?.value).toBe(2);
    expect(host.querySelector('.bask-progress-text')?.textContent).toContain(
      '2/3 tasks (66%) · 1 failed',
    );
  });
});
