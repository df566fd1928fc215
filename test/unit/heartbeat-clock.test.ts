import { describe, expect, it } from 'vitest';
import { HeartbeatClock } from '../../src/wire/heartbeat-clock.js';
import { pingInterval } from '../../server/scheduler/liveness.js';

describe('HeartbeatClock', () => {
  it('judges at punctual ticks', () => {
    const clock = new HeartbeatClock(500, 0);
    expect([500, 1000, 1510, 2000].map((t) => clock.fair(t))).toEqual([true, true, true, true]);
  });

  it('judges nobody at a tick that comes late after a stall, and judges again at the next', () => {
    // Regression: a scheduler busy for seconds with a 1M-task submission removed both of its
    // workers for "missed heartbeats" that were waiting unread in its own socket buffers.
    const clock = new HeartbeatClock(500, 0);
    expect(clock.fair(500)).toBe(true);
    expect(clock.fair(4700)).toBe(false);
    expect(clock.fair(5200)).toBe(true);
  });
});

describe('pingInterval (the scheduler pings less often as the cluster grows)', () => {
  it('keeps the base interval for small clusters and stretches to 5 s at most', () => {
    expect(pingInterval(500, 10)).toBe(500);
    expect(pingInterval(500, 1_000)).toBe(500);
    expect(pingInterval(500, 4_000)).toBe(2_000);
    expect(pingInterval(500, 10_000)).toBe(5_000);
    expect(pingInterval(500, 1_000_000)).toBe(5_000);
  });
});
