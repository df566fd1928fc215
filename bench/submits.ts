/**
 * Issue 16 benchmark: `client.submit` rate from one client against a real `bask scheduler`
 * (one `bask worker` of 2 threads), two builds side by side in one run: this checkout and
 * another build root (`--base`, e.g. main's tree built in /tmp/engine-base), alternated rep by
 * rep so that the load of a shared machine falls on both alike.
 *
 * Per build and rep (a fresh cluster each time): N `client.submit(inc, i, { pure: false })`
 * calls in one loop, timed (the calls alone, then until every result is gathered: submits/s
 * end to end), with the client's CPU time per submit (steadier than wall time on a loaded
 * machine). Goal: ≥ 50k submits/s from one client.
 *
 *   npm run build && node dist/bench/submits.js --base /tmp/engine-base [--n 50000] [--reps 3]
 *   (each rep runs `node dist/bench/submits.js --child <root>`)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { alternateBuilds, arg, record, save, summarize } from './lib.js';

const N = Number(arg('n', '50000'));
const REPS = Number(arg('reps', '3'));
const HERE = fileURLToPath(new URL('../../', import.meta.url));

interface ChildRow {
  calls_per_s: number;
  end_to_end_per_s: number;
  /** The client's CPU time per submit (µs): the calls alone, and until gathered. */
  calls_cpu_us: number;
  client_cpu_us: number;
}

/** Starts `bask ...args` from the build at `root`; resolves with the child and its output match. */
function startBask(
  root: string,
  args: string[],
  ready: RegExp,
): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  const child = spawn(process.execPath, [join(root, 'bin', 'bask.js'), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.on('exit', (code) => reject(new Error(`bask ${args[0]} exited (${code}): ${out}`)));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m !== null) resolve({ child, match: m });
    });
  });
}

/** One rep in this process, with the client, scheduler and worker of the build at `root`. */
async function child(root: string): Promise<ChildRow> {
  type Bask = typeof import('../src/index.node.js');
  type Graphs = typeof import('./graphs.js');
  const bask = (await import(pathToFileURL(join(root, 'dist/src/index.node.js')).href)) as Bask;
  const { inc } = (await import(pathToFileURL(join(root, 'dist/bench/graphs.js')).href)) as Graphs;
  const s = await startBask(
    root,
    ['scheduler', '--port', '0', '--dashboard-port', '0'],
    /Scheduler at: (\S+)/,
  );
  const address = s.match[1] as string;
  const w = await startBask(root, ['worker', address, '--nthreads', '2'], /registered/);
  try {
    const client = await bask.Client.connect(address, { setAsDefault: false });
    while ((await client.info()).workers.length < 2) await new Promise((r) => setTimeout(r, 5));
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const futures = [];
    for (let i = 0; i < N; i++) futures.push(client.submit(inc, i, { pure: false }));
    const t1 = performance.now();
    const c1 = process.cpuUsage(c0);
    const values = await client.gather(futures);
    const t2 = performance.now();
    const c2 = process.cpuUsage(c0);
    if (values[N - 1] !== N) throw new Error('wrong result');
    await client.close();
    return {
      calls_per_s: Math.round(N / ((t1 - t0) / 1000)),
      end_to_end_per_s: Math.round(N / ((t2 - t0) / 1000)),
      calls_cpu_us: Math.round(((c1.user + c1.system) / N) * 10) / 10,
      client_cpu_us: Math.round(((c2.user + c2.system) / N) * 10) / 10,
    };
  } finally {
    s.child.kill();
    w.child.kill();
  }
}

if (process.argv.includes('--child')) {
  console.log(JSON.stringify(await child(arg('child', HERE))));
} else {
  const samples = await alternateBuilds<ChildRow>(fileURLToPath(import.meta.url), REPS, [
    '--n',
    String(N),
  ]);
  const rows: object[] = [];
  for (const [name, list] of samples)
    record(rows, {
      kind: 'submits',
      build: name,
      n: N,
      calls_per_s: Math.round(summarize(list.map((r) => r.calls_per_s)).median),
      end_to_end_per_s: Math.round(summarize(list.map((r) => r.end_to_end_per_s)).median),
      calls_cpu_us: summarize(list.map((r) => r.calls_cpu_us)).median,
      client_cpu_us: summarize(list.map((r) => r.client_cpu_us)).median,
      reps: list.length,
    });
  save('submits', rows);
}
