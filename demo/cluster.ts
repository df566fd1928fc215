/**
 * The page's one door to a cluster: `connectCluster(address)` connects a bask `Client` to the
 * scheduler at `address` (the one `npm start` runs, by default) and returns it as the scheduler
 * to compute on. One client per address is kept and reused; a lost connection makes the next
 * call reconnect. `clusterHttpOrigin(address)` says where that scheduler's pages are.
 */
import { Client, type Scheduler } from 'bask';

const clients = new Map<string, Promise<Client>>();

/** Connects to the bask scheduler at `address` (`ws://host:8786`) as a compute client. */
export function connectCluster(address: string): Promise<Scheduler> {
  let client = clients.get(address);
  if (client === undefined) {
    client = Client.connect(address, { name: 'demo page', setAsDefault: false });
    clients.set(address, client);
    client.catch(() => clients.delete(address));
  }
  return client.then(async (c) => {
    try {
      await c.info();
      return c;
    } catch {
      clients.delete(address);
      return connectCluster(address);
    }
  });
}

/** The HTTP port of a scheduler's pages (`bask scheduler --dashboard-port`, Dask's 8787). */
export const DASHBOARD_PORT = 8787;

/** The page's own server, when it is a bask scheduler (`bask demo`): its ws:// address. */
export interface ServingScheduler {
  readonly address: string;
  /** The page's origin, which is that scheduler's HTTP origin. */
  readonly origin: string;
}

/**
 * The HTTP origin of the scheduler at `address` (`ws://host:8786`), where its dashboard
 * (`/status`) and volunteer page (`/worker`) are; undefined when `address` is not a ws:// or
 * wss:// URL. Derived as the page derives the address itself: the page's own origin when the
 * scheduler serving the page is the one at `address`, else the same host on the default
 * dashboard port, http for ws and https for wss.
 */
export function clusterHttpOrigin(address: string, serving?: ServingScheduler): string | undefined {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') return undefined;
  if (serving !== undefined && sameAddress(serving.address, url)) return serving.origin;
  const scheme = url.protocol === 'wss:' ? 'https:' : 'http:';
  // `hostname` keeps an IPv6 address's brackets.
  return `${scheme}//${url.hostname}:${DASHBOARD_PORT}`;
}

function sameAddress(a: string, b: URL): boolean {
  try {
    return new URL(a).origin === b.origin;
  } catch {
    return false;
  }
}
