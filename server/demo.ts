/**
 * `bask demo` (what `npm start` runs): a scheduler on localhost with this machine's cores as an
 * in-process worker (linked to the scheduler without a socket), serving the demo page next to the dashboard and the volunteer page. One
 * command, everything local, no network beyond 127.0.0.1 (unless --host says otherwise).
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BaskError } from '../src/errors.js';
import type { Command } from './command.js';
import { LISTEN_OPTIONS, listenOf, parseCount, untilSignal } from './options.js';
import { SchedulerServer } from './scheduler/server.js';
import { WorkerProcess } from './worker/process.js';

const HELP = `Usage: bask demo [options]

Starts the demo: a scheduler on localhost with local workers, and serves the demo page
(daily price spreads from CSV files), the dashboard and the volunteer page.

Options:
  --port PORT              scheduler WebSocket port (default 8786; 0 = any free port)
  --dashboard-port PORT    HTTP port of the demo, dashboard and volunteer pages (default 8787)
  --host HOST              interface to bind (default 127.0.0.1)
  --nthreads T             local worker threads (default: the machine's cores)
  --demo-dir DIR           the built demo page (default: demo-dist/ of this package)
  -h, --help               show this help`;

/** The demo command. */
export const demoCommand: Command = {
  summary: 'start the demo page with a local scheduler and workers (what npm start runs)',
  help: HELP,
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        ...LISTEN_OPTIONS,
        nthreads: { type: 'string' },
        'demo-dir': { type: 'string' },
      },
      strict: true,
    });
    const demoDir =
      values['demo-dir'] ?? fileURLToPath(new URL('../../demo-dist/', import.meta.url));
    if (!existsSync(`${demoDir}/index.html`)) {
      throw new BaskError(
        'ERR_INVALID_ARGUMENT',
        `no built demo in ${demoDir}: run \`npm run build:demo\` (npm start does it)`,
      );
    }
    const server = await SchedulerServer.start({
      ...listenOf(values),
      staticRoot: demoDir,
    });
    const nthreads = parseCount('nthreads', values.nthreads, availableParallelism());
    // The worker lives in this process: it talks to the scheduler without a WebSocket.
    const worker = await WorkerProcess.start({
      address: server.address,
      name: 'local',
      nthreads,
      connect: () => server.connectInProcess(),
    });
    console.log(`Demo at:           ${server.httpAddress}/`);
    console.log(`Dashboard at:      ${server.httpAddress}/status`);
    console.log(`Volunteer page at: ${server.httpAddress}/worker`);
    console.log(
      `Scheduler at:      ${server.address} (${nthreads} local worker thread${nthreads === 1 ? '' : 's'})`,
    );
    console.log('Press Ctrl+C to stop.');
    const reason = await Promise.race([untilSignal(), worker.whenStopped()]);
    worker.stop(reason);
    await server.close();
    return 0;
  },
};
