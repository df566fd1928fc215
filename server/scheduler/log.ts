/**
 * The scheduler's log: what an operator must hear about (refusals, closed connections,
 * quarantined workers) on stderr, throttled so that a flood of hostile connections cannot flood
 * the disk (everything is counted on /metrics anyway).
 */

/**
 * console.error, at most `perSecond` lines a second; the lines over that are counted and the
 * count is printed when their second is over (so a burst of refusals is never silent).
 */
export function throttledStderr(
  perSecond = 20,
  write: (line: string) => void = (line) => console.error(line),
): (line: string) => void {
  let windowStart = 0;
  let lines = 0;
  let dropped = 0;
  let summary: ReturnType<typeof setTimeout> | undefined;
  const summarize = (): void => {
    summary = undefined;
    if (dropped > 0) write(`bask scheduler: ... and ${dropped} more such lines (see /metrics)`);
    dropped = 0;
  };
  return (line) => {
    const now = Date.now();
    if (now - windowStart >= 1000) {
      if (summary !== undefined) clearTimeout(summary);
      summarize();
      windowStart = now;
      lines = 0;
    }
    if (lines++ < perSecond) {
      write(line);
      return;
    }
    dropped++;
    if (summary === undefined) {
      summary = setTimeout(summarize, Math.max(0, windowStart + 1000 - now));
      summary.unref();
    }
  };
}
