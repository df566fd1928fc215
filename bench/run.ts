/**
 * Runs the benchmarks one after another (never two at once: the machine has 2 cores), each in
 * its own Node process with the flags it needs, and keeps each one's console output in
 * bench/results/<name>.log next to its JSON rows.
 *
 *   npm run bench                      # every benchmark (about 15 minutes, Dask anchors included)
 *   npm run bench -- sync pool seed    # some of them
 *   npm run bench -- --list            # their names
 *
 * Arguments after `--` that start with `--` (other than --list) go to every benchmark run.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RESULTS_DIR } from './lib.js';

/** A benchmark: its compiled file in dist/bench/ and the Node flags it needs. */
interface Bench {
  file: string;
  nodeFlags: string[];
  what: string;
}

const BENCHES: Record<string, Bench> = {
  sync: { file: 'sync.js', nodeFlags: ['--expose-gc'], what: 'sync scheduler vs dask.get' },
  million: { file: 'million.js', nodeFlags: ['--expose-gc'], what: '1M-task graph, heap/task' },
  pool: { file: 'pool.js', nodeFlags: [], what: 'worker pool vs piscina & co' },
  seed: { file: 'seed.js', nodeFlags: [], what: 'daily spreads over 250 CSVs vs Dask' },
  cluster: { file: 'cluster.js', nodeFlags: [], what: 'scheduler + workers vs distributed' },
  demo: { file: 'demo.js', nodeFlags: [], what: 'the demo page in Chromium' },
  dashboard: { file: 'dashboard.js', nodeFlags: [], what: 'cost of two open dashboards' },
  volunteer: { file: 'volunteer.js', nodeFlags: [], what: 'WebRTC vs relay, tabs vs Node' },
  verify: { file: 'verify.js', nodeFlags: [], what: 'cost of verify: 2' },
  faults: { file: 'faults.js', nodeFlags: [], what: 'fuzz, chaos, load, auth (FAULTS.md)' },
  reconnect: { file: 'reconnect.js', nodeFlags: [], what: 'client back after a scheduler restart' },
  digest: { file: 'digest.js', nodeFlags: [], what: 'checking fetched data against its hash' },
  load: {
    file: 'load.js',
    nodeFlags: [],
    what: '10,000 volunteer connections and 1M tasks (FAULTS.md)',
  },
  package: { file: 'package.js', nodeFlags: [], what: 'tarball, install size, bundle sizes' },
  vm: { file: 'vm-costs.js', nodeFlags: [], what: 'fresh memory and Map inserts on this machine' },
};

const here = fileURLToPath(new URL('.', import.meta.url));
const args = process.argv.slice(2);
if (args.includes('--list')) {
  for (const [name, bench] of Object.entries(BENCHES))
    console.log(`${name.padEnd(10)} ${bench.what}`);
  process.exit(0);
}
const passed = args.filter((a) => a.startsWith('--'));
const names = args.filter((a) => !a.startsWith('--'));
const unknown = names.filter((n) => !(n in BENCHES));
if (unknown.length > 0) {
  console.error(
    `unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}`,
  );
  process.exit(2);
}

/** Runs one benchmark, its output to the console and to bench/results/<name>.log. */
function runOne(name: string, bench: Bench): Promise<number> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const log = createWriteStream(join(RESULTS_DIR, `${name}.log`));
  const child = spawn(process.execPath, [...bench.nodeFlags, join(here, bench.file), ...passed], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    log.write(chunk);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    log.write(chunk);
  });
  return new Promise((resolve) => {
    child.on('close', (code) => {
      log.end();
      resolve(code ?? 1);
    });
  });
}

let failed = 0;
for (const name of names.length > 0 ? names : Object.keys(BENCHES)) {
  const bench = BENCHES[name] as Bench;
  const t0 = performance.now();
  console.error(`== ${name}: ${bench.what} (${new Date().toISOString()})`);
  const code = await runOne(name, bench);
  const seconds = ((performance.now() - t0) / 1000).toFixed(0);
  console.error(`== ${name}: ${code === 0 ? 'done' : `FAILED (exit ${code})`} in ${seconds} s`);
  if (code !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
