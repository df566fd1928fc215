/** `bask spreads` without --scheduler: which local scheduler it picks (server/spreads.ts). */
import { describe, expect, it } from 'vitest';
import { THREADS_FROM_FILES, defaultScheduler } from '../../server/spreads.js';

describe('bask spreads: the default scheduler', () => {
  it('computes few files on sync: a pool costs more to start than it saves', () => {
    expect(defaultScheduler(1, 8)).toBe('sync');
    expect(defaultScheduler(THREADS_FROM_FILES - 1, 8)).toBe('sync');
  });

  it('computes many files on threads when there are cores to share', () => {
    expect(defaultScheduler(THREADS_FROM_FILES, 2)).toBe('threads');
    expect(defaultScheduler(THREADS_FROM_FILES * 10, 1)).toBe('sync');
  });

  it('takes --workers alone as asking for a pool', () => {
    expect(defaultScheduler(1, 1, 2)).toBe('threads');
  });
});
