/** `bask scheduler`: starts the scheduler and its dashboard, prints where they listen. */
import { parseArgs } from 'node:util';
import type { Command } from '../commands.js';
import { parsePort, untilSignal } from '../options.js';
import { SchedulerServer } from './server.js';

const HELP = `Usage: bask scheduler [options]

Starts a bask scheduler: clients connect to it, workers join it, the dashboard shows it.

Options:
  --port PORT               WebSocket port for clients and workers (default 8786; 0 = any free port)
  --dashboard-port PORT     HTTP port of the dashboard, /health and /metrics (default 8787; 0 = any)
  --host HOST               interface to bind (default 127.0.0.1; 0.0.0.0 for every interface)
  --client-token TOKEN      secret clients must present (or BASK_CLIENT_TOKEN)
  --worker-token TOKEN      secret workers must present (or BASK_WORKER_TOKEN)
  --heartbeat-timeout MS    remove a worker silent this long (default 3000)
  --static DIR              serve a folder of static files at / (the demo)
  -h, --help                show this help`;

/** The scheduler command. */
export const schedulerCommand: Command = {
  summary: 'start a scheduler (ws on 8786) with its dashboard (http on 8787)',
  help: HELP,
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string' },
        'dashboard-port': { type: 'string' },
        host: { type: 'string' },
        'client-token': { type: 'string' },
        'worker-token': { type: 'string' },
        'heartbeat-timeout': { type: 'string' },
        static: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    });
    const clientToken = values['client-token'] ?? process.env['BASK_CLIENT_TOKEN'];
    const workerToken = values['worker-token'] ?? process.env['BASK_WORKER_TOKEN'];
    const server = await SchedulerServer.start({
      port: parsePort('port', values.port, 8786),
      dashboardPort: parsePort('dashboard-port', values['dashboard-port'], 8787),
      host: values.host ?? '127.0.0.1',
      ...(clientToken !== undefined ? { clientToken } : {}),
      ...(workerToken !== undefined ? { workerToken } : {}),
      ...(values['heartbeat-timeout'] !== undefined
        ? { heartbeatTimeout: Number(values['heartbeat-timeout']) }
        : {}),
      ...(values.static !== undefined ? { staticRoot: values.static } : {}),
    });
    console.log(`Scheduler at: ${server.address}`);
    console.log(`Dashboard at: ${server.httpAddress}/status`);
    if (clientToken === undefined && workerToken === undefined) {
      console.log(
        `No tokens set: serving ${values.host ?? '127.0.0.1'} without authentication (localhost only unless --host says otherwise).`,
      );
    }
    const signal = await untilSignal();
    console.log(`Stopping (${signal})`);
    await server.close();
    return 0;
  },
};
