import { afterEach, describe, expect, it, vi } from 'vitest';
import { throttledStderr } from '../../server/scheduler/log.js';

describe('the scheduler log throttle', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('prints the first lines of a second, then how many it held back once the second is over', () => {
    // Regression: the count was printed only when a later line came, so the end of a burst of
    // refusals was never reported.
    vi.useFakeTimers();
    const out: string[] = [];
    const log = throttledStderr(3, (line) => out.push(line));
    for (let i = 0; i < 10; i++) log(`refused ${i}`);
    expect(out).toEqual(['refused 0', 'refused 1', 'refused 2']);
    vi.advanceTimersByTime(1000);
    expect(out).toHaveLength(4);
    expect(out[3]).toBe('bask scheduler: ... and 7 more such lines (see /metrics)');
    log('later');
    expect(out.slice(4)).toEqual(['later']);
    vi.advanceTimersByTime(5000);
    expect(out).toHaveLength(5);
  });
});
