import { describe, expect, it } from 'vitest';
import { get, task, ref } from '../../src/index.node.js';

describe('smoke', () => {
  it('computes a tiny graph', async () => {
    const inc = (x: number): number => x + 1;
    expect(await get({ x: 1, y: task(inc, ref('x')) }, 'y', { scheduler: 'sync' })).toBe(2);
  });
});
