/**
 * Heartbeat judgement that does not blame the other side for this side's own stalls. A process
 * whose event loop was blocked (a long engine step, a huge message to decode, a throttled tab)
 * has not read what arrived meanwhile: its heartbeat timer then fires late, before the waiting
 * messages are read. Such a late tick judges nobody; the next, punctual one does.
 */
export class HeartbeatClock {
  private last: number;

  /** `interval`: the period of the timer that calls {@link HeartbeatClock.fair} (ms). */
  constructor(
    private readonly interval: number,
    now = Date.now(),
  ) {
    this.last = now;
  }

  /**
   * Call on every tick of the heartbeat timer: whether silence may be judged at this tick (false
   * when the tick came more than an interval late, i.e. this side was stalled).
   */
  fair(now = Date.now()): boolean {
    const late = now - this.last > 2 * this.interval;
    this.last = now;
    return !late;
  }
}
