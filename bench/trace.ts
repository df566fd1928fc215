/**
 * Chromium traces for the benchmarks: where a page's threads spend a run, native work
 * included. A V8 CPU profile shows the page's JavaScript and lumps the rest (reading Blobs,
 * sending on a WebSocket, style and layout, posting messages) as "(program)"; the trace names
 * each of those tasks.
 *
 * `traced(page, run)` records a trace around `run`; `selfTimes(events)` sums each event's own
 * time (its duration minus its children's) per thread and name, largest first.
 */
import type { CdpPage } from './cdp.js';

/** One trace event, as Chromium reports it (the fields used here). */
export interface TraceEvent {
  readonly name: string;
  readonly ph: string;
  readonly pid: number;
  readonly tid: number;
  readonly ts: number;
  readonly dur?: number;
  readonly args?: { name?: string };
}

const CATEGORIES = [
  'toplevel',
  'blink',
  'v8',
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'loading',
  'net',
].join(',');

/** Runs `run` while Chromium records a trace; returns its result and the trace's events. */
export async function traced<T>(
  page: CdpPage,
  run: () => Promise<T>,
): Promise<{ result: T; events: TraceEvent[] }> {
  const events: TraceEvent[] = [];
  page.on('Tracing.dataCollected', (params) => {
    events.push(...(params as { value: TraceEvent[] }).value);
  });
  const complete = new Promise<void>((resolve) =>
    page.on('Tracing.tracingComplete', () => resolve()),
  );
  await page.send('Tracing.start', { categories: CATEGORIES, transferMode: 'ReportEvents' });
  const result = await run();
  await page.send('Tracing.end');
  await complete;
  return { result, events };
}

/**
 * Milliseconds of own time per `<thread name>: <event name>`, largest first (complete events
 * only: nested events are subtracted from their parent).
 */
export function selfTimes(events: readonly TraceEvent[], top = 30): [string, number][] {
  const threadNames = new Map<string, string>();
  for (const e of events)
    if (e.ph === 'M' && e.name === 'thread_name')
      threadNames.set(`${e.pid}:${e.tid}`, e.args?.name ?? '?');
  const byThread = new Map<string, TraceEvent[]>();
  for (const e of events) {
    if (e.ph !== 'X' || e.dur === undefined) continue;
    const key = `${e.pid}:${e.tid}`;
    const list = byThread.get(key) ?? [];
    list.push(e);
    byThread.set(key, list);
  }
  const totals = new Map<string, number>();
  for (const [thread, list] of byThread) {
    list.sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0));
    const name = threadNames.get(thread) ?? thread;
    // Own time: each event's duration minus the time of the events nested directly in it.
    const stack: { end: number; key: string; own: number }[] = [];
    const close = (until: number): void => {
      while (stack.length > 0 && (stack[stack.length - 1] as { end: number }).end <= until) {
        const done = stack.pop() as { key: string; own: number };
        totals.set(done.key, (totals.get(done.key) ?? 0) + done.own);
      }
    };
    for (const e of list) {
      close(e.ts);
      const dur = e.dur ?? 0;
      const parent = stack[stack.length - 1];
      if (parent !== undefined) parent.own -= dur;
      stack.push({ end: e.ts + dur, key: `${name}: ${e.name}`, own: dur });
    }
    close(Infinity);
  }
  return [...totals]
    .map(([k, us]): [string, number] => [k, Math.round(us / 100) / 10])
    .sort((a, b) => b[1] - a[1])
    .slice(0, top);
}
