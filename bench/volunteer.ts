/**
 * Issue 6 benchmarks, volunteer browsers (real Chromium pages on `/worker`, one thread each):
 *  - transfer: a 50 MB result made on one volunteer, read by a task on another: over WebRTC,
 *    and through the scheduler relay (`?webrtc=off`); MB/s of the consuming task's round trip,
 *    next to the same task on the volunteer that holds the data (no transfer);
 *  - throughput: `map(inc, range(n))` + gather on 3 volunteer tabs versus 3 `bask worker`
 *    processes of one thread each, tasks per second.
 * Prints JSON lines (and writes bench/results/volunteer.json).
 *
 *   npm run build && npm run build:volunteer && node dist/bench/volunteer.js [--reps 3] [--tasks 2000]
 */
import { type Browser, type BrowserContext } from 'playwright';
import { Client } from 'bask';
import { arg, measure, record, save } from './lib.js';
import { bask, killChildren } from './processes.js';
import { tasks } from './volunteer-tasks.js';
import { launchChromium } from '../test/chromium.js';

const REPS = Number(arg('reps', '3'));
const TASKS = Number(arg('tasks', '2000'));
const MB50 = 6_250_000; // float64s: 50 MB
const rows: object[] = [];

async function scheduler(): Promise<{ address: string; http: string }> {
  const { match } = await bask(
    ['scheduler', '--port', '0', '--dashboard-port', '0'],
    /Scheduler at: (\S+)\s+Dashboard at: (\S+)\/status/,
  );
  return { address: match[1] as string, http: match[2] as string };
}

async function volunteers(
  browser: Browser,
  http: string,
  names: string[],
  params: Record<string, string> = {},
): Promise<BrowserContext[]> {
  return Promise.all(
    names.map(async (name) => {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${http}/worker?${new URLSearchParams({ name, threads: '1', ...params })}`);
      await page.waitForSelector('#status[data-state="running"]', { timeout: 30_000 });
      return context;
    }),
  );
}

async function waitWorkers(client: Client, n: number): Promise<void> {
  while ((await client.info()).workers.length < n) await new Promise((r) => setTimeout(r, 20));
}

/** Seconds for a task on `reader` to get a fresh 50 MB array made on `maker`. */
async function transfer(client: Client, maker: string, reader: string): Promise<number[]> {
  const seconds: number[] = [];
  for (let i = 0; i < REPS + 1; i++) {
    const array = client.submit(tasks.makeArray, MB50, i, { workers: [maker], pure: false });
    // Made and read once where it lives: the timed read below only adds the transfer.
    await client.submit(tasks.byteLength, array, { workers: [maker], pure: false }).result();
    const t0 = performance.now();
    const n = await client.submit(tasks.byteLength, array, { workers: [reader] }).result();
    if (n !== MB50 * 8) throw new Error(`read ${n} bytes`);
    if (i > 0) seconds.push((performance.now() - t0) / 1000);
    array.release();
  }
  return seconds;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] as number;
}

const browser = await launchChromium();
try {
  // ---- 50 MB between two browsers: WebRTC, relay, and no transfer ---------------------------
  for (const path of ['webrtc', 'relay'] as const) {
    const { address, http } = await scheduler();
    const contexts = await volunteers(
      browser,
      http,
      ['a', 'b'],
      path === 'relay' ? { webrtc: 'off' } : {},
    );
    const client = await Client.connect(address, { setAsDefault: false });
    await waitWorkers(client, 2);
    const moved = await transfer(client, 'a/0', 'b/0');
    const local = await transfer(client, 'a/0', 'a/0');
    const t = median(moved);
    record(rows, {
      bench: 'volunteer-transfer-50MB',
      path,
      seconds: t,
      samples: moved,
      sameVolunteerSeconds: median(local),
      MBps: 50 / t,
    });
    await client.close();
    await Promise.all(contexts.map((c) => c.close()));
  }

  // ---- tasks/s: 3 volunteer tabs vs 3 Node worker processes ---------------------------------
  const run = async (client: Client): Promise<void> => {
    const futures = client.map(
      tasks.inc,
      Array.from({ length: TASKS }, (_, i) => i),
      { pure: false },
    );
    await client.gather(futures);
  };
  for (const kind of ['volunteers', 'node'] as const) {
    const { address, http } = await scheduler();
    const contexts =
      kind === 'volunteers' ? await volunteers(browser, http, ['t1', 't2', 't3']) : [];
    if (kind === 'node')
      await Promise.all(
        [1, 2, 3].map((i) =>
          bask(['worker', address, '--nthreads', '1', '--name', `n${i}`], /registered/),
        ),
      );
    const client = await Client.connect(address, { setAsDefault: false });
    await waitWorkers(client, 3);
    const m = await measure(() => run(client), REPS, 1);
    record(rows, {
      bench: 'volunteer-throughput',
      workers: kind === 'volunteers' ? '3 volunteer tabs x 1 thread' : '3 bask worker x 1 thread',
      tasks: TASKS,
      seconds: m.median,
      tasksPerSecond: TASKS / m.median,
      spreadPct: m.spreadPct,
    });
    await client.close();
    await Promise.all(contexts.map((c) => c.close()));
  }
  save('volunteer', rows, { reps: REPS, tasks: TASKS });
} finally {
  await browser.close();
  killChildren();
}
