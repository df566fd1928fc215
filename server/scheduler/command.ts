/** `bask scheduler`: starts the scheduler and its dashboard, prints where they listen. */
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { readFile } from 'node:fs/promises';
import { BaskError } from '../../src/errors.js';
import { LISTEN_OPTIONS, listenOf, parseCount, parseSize, untilSignal } from '../options.js';
import { SchedulerServer } from './server.js';

const HELP = `Usage: bask scheduler [options]

Starts a bask scheduler: clients connect to it, workers join it, the dashboard shows it.

Options:
  --port PORT               WebSocket port for clients and workers (default 8786; 0 = any free port)
  --dashboard-port PORT     HTTP port of the dashboard, /health and /metrics (default 8787; 0 = any)
  --host HOST               interface to bind (default 127.0.0.1; 0.0.0.0 for every interface)
  --client-token TOKEN      secret clients and dashboards must present (or BASK_CLIENT_TOKEN);
                            without one, only clients on this machine may connect
  --worker-token TOKEN      secret workers must present (or BASK_WORKER_TOKEN);
                            without one, only workers on this machine may join
  --dashboard-token TOKEN   secret that opens the dashboard only, never submits work (or
                            BASK_DASHBOARD_TOKEN); the client token opens it too
  --max-graph-size N        most tasks a client may submit in one graph (ERR_LIMIT beyond)
  --max-tasks-in-flight N   most tasks of one client's graphs not yet done (ERR_LIMIT beyond)
  --allow-origin ORIGIN     also accept browser pages from ORIGIN (scheme://host:port; '*' for
                            any); repeatable. The scheduler's own pages and localhost are allowed
  --tls-cert FILE           serve wss:// and https:// with this certificate (PEM)...
  --tls-key FILE            ...and this private key (PEM)
  --max-message-size SIZE   largest message accepted (default 512MiB)
  --rate-limit N            messages per second per connection (default 20000, bursts of 10x)
  --heartbeat-timeout MS    remove a worker silent this long (default 10000)
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
        ...LISTEN_OPTIONS,
        'client-token': { type: 'string' },
        'worker-token': { type: 'string' },
        'dashboard-token': { type: 'string' },
        'max-graph-size': { type: 'string' },
        'max-tasks-in-flight': { type: 'string' },
        'heartbeat-timeout': { type: 'string' },
        'allow-origin': { type: 'string', multiple: true },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'max-message-size': { type: 'string' },
        'rate-limit': { type: 'string' },
        static: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    });
    const clientToken = values['client-token'] ?? process.env['BASK_CLIENT_TOKEN'];
    const workerToken = values['worker-token'] ?? process.env['BASK_WORKER_TOKEN'];
    const dashboardToken = values['dashboard-token'] ?? process.env['BASK_DASHBOARD_TOKEN'];
    const maxGraphSize = optionalCount('max-graph-size', values['max-graph-size']);
    const maxTasksInFlight = optionalCount('max-tasks-in-flight', values['max-tasks-in-flight']);
    const tlsCert = values['tls-cert'];
    const tlsKey = values['tls-key'];
    if ((tlsCert === undefined) !== (tlsKey === undefined))
      throw new BaskError(
        'ERR_INVALID_ARGUMENT',
        '--tls-cert and --tls-key go together: give both (PEM files) or neither',
      );
    const rate =
      values['rate-limit'] === undefined
        ? undefined
        : parseCount('rate-limit', values['rate-limit'], 20_000);
    const server = await SchedulerServer.start({
      ...listenOf(values),
      ...(clientToken !== undefined ? { clientToken } : {}),
      ...(workerToken !== undefined ? { workerToken } : {}),
      ...(dashboardToken !== undefined ? { dashboardToken } : {}),
      ...(maxGraphSize !== undefined ? { maxGraphSize } : {}),
      ...(maxTasksInFlight !== undefined ? { maxTasksInFlight } : {}),
      ...(values['heartbeat-timeout'] !== undefined
        ? { heartbeatTimeout: Number(values['heartbeat-timeout']) }
        : {}),
      ...(values.static !== undefined ? { staticRoot: values.static } : {}),
      ...(values['allow-origin'] !== undefined
        ? { allowOrigins: values['allow-origin'].flatMap((o) => o.split(',')).filter(Boolean) }
        : {}),
      ...(tlsCert !== undefined && tlsKey !== undefined
        ? {
            tls: {
              cert: await readPem('tls-cert', tlsCert),
              key: await readPem('tls-key', tlsKey),
            },
          }
        : {}),
      ...(values['max-message-size'] !== undefined
        ? { maxMessageBytes: parseSize('max-message-size', values['max-message-size']) }
        : {}),
      ...(rate !== undefined
        ? { rateLimits: { messagesPerSecond: rate, messageBurst: rate * 10 } }
        : {}),
    });
    console.log(`Scheduler at: ${server.address}`);
    console.log(`Dashboard at: ${server.httpAddress}/status`);
    for (const line of server.describeAccess()) console.log(line);
    const signal = await untilSignal();
    console.log(`Stopping (${signal})`);
    await server.close();
    return 0;
  },
};

function optionalCount(option: string, text: string | undefined): number | undefined {
  return text === undefined ? undefined : parseCount(option, text, 0);
}

async function readPem(option: string, file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `--${option}: cannot read ${file} (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}
