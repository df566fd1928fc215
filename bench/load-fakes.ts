/**
 * A child process of the volunteer-scale load benchmark (bench/load.ts): opens `--n` fake worker
 * connections (bench/fake-workers.ts) to `--address`, then reports on stdout, one JSON line
 * each: `{"ready":n}` once all are registered, then every `--every` ms a window of what its
 * workers saw: pings received, the time between consecutive pings (p50 / p99 / max, ms; the
 * scheduler pings each worker on a schedule, so a gap past it is the scheduler's delay in
 * reaching a connection), and tasks run so far. Ends (closing its sockets) when its stdin closes.
 *
 *   node dist/bench/load-fakes.js --address ws://... --http http://... --n 2500 --prefix a
 */
import { fakeWorkers } from './fake-workers.js';
import { arg } from './lib.js';

const address = arg('address', '');
const http = arg('http', '');
const n = Number(arg('n', '100'));
const prefix = arg('prefix', 'load');
const every = Number(arg('every', '2000'));

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

const fakes = await fakeWorkers(address, http, n, prefix);
for (const f of fakes) f.pingGaps = [];
console.log(JSON.stringify({ ready: fakes.length }));
const report = setInterval(() => {
  const late: number[] = [];
  for (const f of fakes) {
    for (const x of f.pingGaps ?? []) late.push(x);
    f.pingGaps = [];
  }
  late.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      pings: late.length,
      gap_p50: Math.round(percentile(late, 0.5)),
      gap_p99: Math.round(percentile(late, 0.99)),
      gap_max: Math.round(late[late.length - 1] ?? 0),
      tasks: fakes.reduce((s, f) => s + f.tasksDone, 0),
    }),
  );
}, every);
process.stdin.resume();
process.stdin.on('close', () => {
  clearInterval(report);
  for (const f of fakes) f.close();
  setTimeout(() => process.exit(0), 500).unref();
});
