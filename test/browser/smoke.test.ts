import { describe, expect, it } from 'vitest';
import { get, task, ref } from '../../src/index.browser.js';

describe('browser smoke', () => {
  it('computes a tiny graph in Chromium', async () => {
    const inc = (x: number): number => x + 1;
    expect(typeof window).toBe('object');
    expect(await get({ x: 1, y: task(inc, ref('x')) }, 'y', { scheduler: 'sync' })).toBe(2);
  });
});
