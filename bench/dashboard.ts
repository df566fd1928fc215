/**
 * What live dashboards cost the scheduler: the throughput of N trivial tasks through a Client
 * (map + gather) on a real `bask scheduler` with one `bask worker` process, with two dashboards
 * connected versus none, alternating in one run (ABBA order, after warm-up), medians compared.
 * Goal: two dashboards cost at most 5% of the throughput.
 *
 * The two dashboards live in a child process (this file with --watch), connected and
 * disconnected on command, and decode every frame as a page would; so the bench process (the
 * client) does no dashboard work, and with no dashboard connected the scheduler's hub is idle.
 *
 *   npm run build && node dist/bench/dashboard.js [--tasks 10000] [--reps 7]
 *     [--readers decode|raw]
 *
 * Prints one JSON line: medians per mode of the wall time and of the scheduler's CPU time per
 * run (from its /metrics), the throughput ratio (two / none) and the CPU cost, the share of the
 * scheduler's CPU time spent in the dashboard hub itself (`bask_dashboard_busy_seconds_total`),
 * frames sent and dropped. On a shared or small machine the wall times are noisy, and decoding
 * dashboards compete with the scheduler for cores (their cost shows in its CPU time too);
 * `--readers raw` and the hub's share isolate what the hub costs the scheduler.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { Client, DashboardConnection } from '../src/index.node.js';
import { encodeFrame } from '../src/wire/frame.js';
import { PROTOCOL_VERSION } from '../src/wire/protocol.js';
import { tasks } from './dashboard-tasks.js';
import { arg } from './lib.js';
import { bask } from './processes.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const READERS = arg('readers', 'decode');
if (process.argv.includes('--watch')) await watch(arg('watch', ''), Number(arg('count', '2')));
else await main();

/**
 * Child mode: dashboards on command ("connect" / "disconnect" / "stats" on stdin). With
 * `--readers raw` they read the frames without decoding them (a lighter neighbour on a small
 * machine, to isolate the scheduler's own cost).
 */
async function watch(address: string, count: number): Promise<void> {
  let open: { close(): void }[] = [];
  let frames = 0;
  let runs = 0;
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line === 'connect') {
      const firsts: Promise<void>[] = [];
      open = Array.from({ length: count }, () => {
        if (READERS === 'raw') {
          const ws = new WebSocket(address, { perMessageDeflate: false });
          firsts.push(
            new Promise((resolve) => {
              ws.on('open', () => {
                const hello = { type: 'hello', version: PROTOCOL_VERSION, role: 'dashboard' };
                for (const chunk of encodeFrame(hello)) ws.send(chunk);
              });
              let n = 0;
              // The welcome, then frames.
              ws.on('message', () => {
                if (++n < 2) return;
                frames++;
                resolve();
              });
            }),
          );
          return { close: () => ws.close() };
        }
        const d = new DashboardConnection(address);
        firsts.push(
          new Promise((resolve) => {
            d.onUpdate((u) => {
              frames++;
              runs += u.runs.keys.length;
              resolve();
            });
          }),
        );
        return d;
      });
      await Promise.all(firsts);
    } else if (line === 'disconnect') {
      for (const d of open) d.close();
      open = [];
    } else if (line === 'stats') {
      console.log(JSON.stringify({ frames, runs }));
      continue;
    }
    console.log('ok');
  }
}

/** A child process of dashboards, driven line by line. */
function watcher(address: string): { ask(command: string): Promise<string>; child: ChildProcess } {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(
    process.execPath,
    [...process.execArgv, self, '--watch', address, '--count', '2', '--readers', READERS],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const answers: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) =>
    answers.shift()?.(line),
  );
  return {
    child,
    ask: (command) =>
      new Promise((resolve) => {
        answers.push(resolve);
        child.stdin?.write(`${command}\n`);
      }),
  };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1
    ? (s[mid] as number)
    : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

async function main(): Promise<void> {
  const n = Number(arg('tasks', '10000'));
  const reps = Number(arg('reps', '7'));
  const scheduler = await bask(
    ['scheduler', '--port', '0', '--dashboard-port', '0'],
    /Scheduler at: (\S+)\s+Dashboard at: (\S+)\/status/,
  );
  const [, address = '', http = ''] = scheduler.match;
  const worker = await bask(['worker', address, '--nthreads', '2', '--name', 'w'], /registered/);
  const dashboards = watcher(address);
  const client = await Client.connect(address, { setAsDefault: false });
  let offset = 0;
  /** The scheduler's CPU seconds and the seconds its dashboard hub was busy. */
  const seconds = async (): Promise<{ cpu: number; hub: number }> => {
    const text = await (await fetch(`${http}/metrics`)).text();
    const read = (name: string): number =>
      Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    return {
      cpu: read('bask_scheduler_cpu_seconds_total'),
      hub: read('bask_dashboard_busy_seconds_total'),
    };
  };
  /** One timed run: wall ms to gather, and the scheduler's CPU ms until it settled. */
  const run = async (): Promise<{ ms: number; cpu: number; hub: number }> => {
    const inputs = Array.from({ length: n }, (_, i) => offset + i);
    offset += n;
    const before = await seconds();
    const t0 = performance.now();
    const futures = client.map(tasks.inc, inputs);
    const values = await client.gather(futures);
    const ms = performance.now() - t0;
    if (values[n - 1] !== (inputs[n - 1] as number) + 1) throw new Error('wrong result');
    for (const f of futures) f.release();
    // Releases reach the scheduler and the last frames go out: both count in its CPU time.
    await sleep(300);
    const after = await seconds();
    return { ms, cpu: (after.cpu - before.cpu) * 1000, hub: (after.hub - before.hub) * 1000 };
  };
  for (let i = 0; i < 3; i++) await run();
  await dashboards.ask('connect');
  await run();
  await dashboards.ask('disconnect');

  const times: Record<'none' | 'two', number[]> = { none: [], two: [] };
  const cpu: Record<'none' | 'two', number[]> = { none: [], two: [] };
  const hubShare: number[] = [];
  for (let r = 0; r < reps; r++) {
    for (const mode of r % 2 === 0 ? (['none', 'two'] as const) : (['two', 'none'] as const)) {
      if (mode === 'two') await dashboards.ask('connect');
      const r = await run();
      times[mode].push(r.ms);
      cpu[mode].push(r.cpu);
      if (mode === 'two') hubShare.push(r.hub / r.cpu);
      if (mode === 'two') await dashboards.ask('disconnect');
      await sleep(200);
    }
  }
  const seen = JSON.parse(await dashboards.ask('stats')) as { frames: number; runs: number };
  const metrics = await (await fetch(`${http}/metrics`)).text();
  const counter = (outcome: string): number =>
    Number(new RegExp(`outcome="${outcome}"} (\\d+)`).exec(metrics)?.[1] ?? NaN);
  const summary = (mode: 'none' | 'two'): object => ({
    median_ms: Number(median(times[mode]).toFixed(1)),
    tasks_per_s: Math.round(n / (median(times[mode]) / 1000)),
    scheduler_cpu_ms: Number(median(cpu[mode]).toFixed(1)),
    runs_ms: times[mode].map((t) => Number(t.toFixed(1))),
    runs_cpu_ms: cpu[mode].map((t) => Number(t.toFixed(1))),
  });
  const ratio = median(times.none) / median(times.two);
  const cpuRatio = median(cpu.two) / median(cpu.none);
  console.log(
    JSON.stringify({
      bench: 'dashboard',
      what: `${n} trivial tasks (map + gather), scheduler + 1 worker process x 2 threads`,
      readers: READERS,
      reps,
      none: summary('none'),
      two_dashboards: summary('two'),
      throughput_ratio: Number(ratio.toFixed(4)),
      cost_pct: Number(((1 - ratio) * 100).toFixed(2)),
      scheduler_cpu_ratio: Number(cpuRatio.toFixed(4)),
      scheduler_cpu_cost_pct: Number(((cpuRatio - 1) * 100).toFixed(2)),
      hub_share_of_scheduler_cpu_pct: Number((median(hubShare) * 100).toFixed(2)),
      frames_sent: counter('sent'),
      frames_dropped: counter('dropped'),
      frames_decoded: seen.frames,
      runs_streamed: seen.runs,
    }),
  );
  await client.close();
  dashboards.child.kill();
  worker.child.kill();
  scheduler.child.kill();
}
