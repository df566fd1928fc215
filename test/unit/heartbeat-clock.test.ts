import { afterEach, describe, expect, it, vi } from 'vitest';
import { HeartbeatClock } from '../../src/wire/heartbeat-clock.js';
import { encodeFrame, joinChunks } from '../../src/wire/frame.js';
import { heartbeatInterval, pingInterval } from '../../server/scheduler/liveness.js';
import {
  SchedulerInbox,
  startHeartbeat,
  type WorkerSide,
} from '../../src/worker/scheduler-dispatch.js';

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

describe('heartbeatInterval (workers report less often as the cluster grows)', () => {
  it('follows the pings, but a worker misses three reports before the timeout drops it', () => {
    expect(heartbeatInterval(500, 10, 10_000)).toBe(500);
    expect(heartbeatInterval(500, 2_000, 10_000)).toBe(1_000);
    expect(heartbeatInterval(500, 10_000, 10_000)).toBe(2_500);
    expect(heartbeatInterval(500, 10_000, 60_000)).toBe(5_000);
    expect(heartbeatInterval(500, 10_000, 1_000)).toBe(500);
  });
});

describe("a worker side's heartbeat", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('beats every interval until a ping asks for less, then as the ping says', () => {
    vi.useFakeTimers();
    const inbox = new SchedulerInbox({} as WorkerSide);
    let beats = 0;
    const timer = startHeartbeat({
      interval: 500,
      timeout: 30_000,
      lastHeard: () => Date.now(),
      every: () => inbox.heartbeatEvery,
      beat: () => beats++,
      silent: () => undefined,
    });
    vi.advanceTimersByTime(2_000);
    expect(beats).toBe(4);
    inbox.receive(joinChunks(encodeFrame({ type: 'ping', heartbeat: 2_500 })));
    expect(inbox.heartbeatEvery).toBe(2_500);
    vi.advanceTimersByTime(10_000);
    expect(beats).toBe(8);
    clearInterval(timer);
  });
});
