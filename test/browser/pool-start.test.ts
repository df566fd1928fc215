/** A pool's workers started before its first computation (`Pool.start`), in Chromium. */
import { describe, expect, it } from 'vitest';
import { Pool, get, task } from '../../src/index.browser.js';

describe('Pool.start in Chromium', () => {
  it('starts Web Workers before the first computation, which then runs on them', async () => {
    const pool = new Pool({ numWorkers: 2 });
    try {
      await pool.start();
      const started = pool.workerIds;
      expect(started).toHaveLength(2);
      const inc = (x: number): number => x + 1;
      expect(await get({ y: task(inc, 41) }, 'y', { scheduler: pool })).toBe(42);
      expect(pool.workerIds).toEqual(started);
    } finally {
      await pool.close();
    }
  });
});
