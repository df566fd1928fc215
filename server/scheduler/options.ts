/**
 * The options of `bask scheduler` as a library call (`SchedulerServer.start`), and their
 * checks: run once before anything binds, each failure an ERR_INVALID_ARGUMENT naming the
 * option and saying what it takes.
 */
import { BaskError } from '../../src/errors.js';
import type { RateLimits } from './guard.js';
import { ClientLimits } from './limits.js';

/** Options of a scheduler server. */
export interface SchedulerOptions {
  /** WebSocket port (default 8786; 0 picks a free one). */
  port?: number;
  /** HTTP dashboard port (default 8787; 0 picks a free one). */
  dashboardPort?: number;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Secret clients (and dashboards) must present; without one, only this machine's clients. */
  clientToken?: string;
  /** Secret worker processes and tabs must present; without one, only this machine's workers. */
  workerToken?: string;
  /** Secret that opens dashboards only (the client token opens them too). */
  dashboardToken?: string;
  /** Most tasks one client may submit in one graph (refused with ERR_LIMIT beyond). */
  maxGraphSize?: number;
  /** Most tasks of one client's submissions not yet done (refused with ERR_LIMIT beyond). */
  maxTasksInFlight?: number;
  /** Browser origins allowed besides the scheduler's own pages and localhost ('*' for any). */
  allowOrigins?: readonly string[];
  /** Serve wss:// and https:// with this certificate and key (PEM). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** How often worker processes must be heard from (ms, default 500). */
  heartbeatInterval?: number;
  /** A worker silent this long is removed (ms, default 10000; the scheduler's own stalls do not count). */
  heartbeatTimeout?: number;
  /** Largest message accepted (bytes, default 512 MiB); larger ones close with 1009. */
  maxMessageBytes?: number;
  /** Per-connection budgets of messages and bytes per second. */
  rateLimits?: Partial<RateLimits>;
  /** A folder of static files served at `/` (the demo). */
  staticRoot?: string;
  /** Where refusals and closures are logged (default: stderr, at most 20 lines a second). */
  log?: (line: string) => void;
}

/** Throws ERR_INVALID_ARGUMENT for tokens or origins that cannot work. */
export function checkOptions(options: SchedulerOptions): void {
  for (const [name, token] of [
    ['clientToken', options.clientToken],
    ['workerToken', options.workerToken],
    ['dashboardToken', options.dashboardToken],
  ] as const) {
    if (token !== undefined && (typeof token !== 'string' || token === ''))
      throw new BaskError(
        'ERR_INVALID_ARGUMENT',
        `${name}: a token must be a non-empty string (got ${typeof token === 'string' ? 'an empty one' : typeof token})`,
      );
  }
  if (options.clientToken !== undefined && options.clientToken === options.workerToken)
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      'The client and worker tokens must differ: a worker token must never allow submitting work',
    );
  if (
    options.dashboardToken !== undefined &&
    (options.dashboardToken === options.clientToken ||
      options.dashboardToken === options.workerToken)
  )
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      'The dashboard token must differ from the client and worker tokens: it only opens dashboards',
    );
  // The caps check themselves (positive whole numbers, named by their flags).
  new ClientLimits({
    maxGraphSize: options.maxGraphSize,
    maxTasksInFlight: options.maxTasksInFlight,
  });
  for (const origin of options.allowOrigins ?? []) {
    if (origin !== '*' && !/^https?:\/\/[^/]+$/.test(origin))
      throw new BaskError(
        'ERR_INVALID_ARGUMENT',
        `allowOrigins: '${origin}' is not an origin: give scheme://host[:port] with no path, or '*'`,
      );
  }
}

/** Who may connect and how much, in words (the scheduler's startup banner). */
export function describeAccess(options: SchedulerOptions): string[] {
  const role = (name: string, token: string | undefined, flag: string): string =>
    token === undefined
      ? `${name}: this machine only (no ${flag}; set one to accept ${name.toLowerCase()} from elsewhere)`
      : `${name}: token required (${flag})`;
  const origins = options.allowOrigins ?? [];
  return [
    role('Clients', options.clientToken, '--client-token'),
    role('Workers', options.workerToken, '--worker-token'),
    options.dashboardToken === undefined
      ? 'Dashboards: as clients'
      : 'Dashboards: their own token (--dashboard-token) or the client token',
    `Per client: ${options.maxGraphSize ?? 'any number of'} tasks per graph, ${options.maxTasksInFlight ?? 'any number of'} tasks in flight (--max-graph-size, --max-tasks-in-flight)`,
    `Browser pages: this scheduler's own and localhost${origins.length > 0 ? `, ${origins.join(', ')}` : ' (add others with --allow-origin)'}`,
    options.tls === undefined ? 'TLS: off (ws://, http://)' : 'TLS: on (wss://, https://)',
  ];
}
