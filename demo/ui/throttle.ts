/**
 * `Throttle`: batches UI work. Results can arrive thousands of times a second; the page
 * repaints at most once per interval (default 100 ms, ~10 times a second), on the trailing
 * edge so that the last update is never lost, and `flushNow()` paints at once at the end.
 */

/** Runs `paint` at most once per `interval` milliseconds, however often it is requested. */
export class Throttle {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private last = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly paint: () => void,
    private readonly interval = 100,
  ) {}

  /** Asks for a paint: now if the last one is old enough, else at the end of the interval. */
  request(): void {
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.last + this.interval - performance.now());
    this.timer = setTimeout(() => this.flushNow(), wait);
  }

  /** Paints now and drops any pending paint. */
  flushNow(): void {
    this.cancel();
    this.last = performance.now();
    this.paint();
  }

  /** Drops a pending paint. */
  cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
