/**
 * `mountDashboard(element, source)`: the scheduler's live dashboard as a component any page can
 * mount. `source` is a scheduler address (`ws://host:8786`) or a connected `Client`; the
 * dashboard opens its own connection (role 'dashboard') to the same scheduler. The scheduler's
 * /status, /workers and /graph pages are thin entries that call this.
 *
 * Policy: frames are painted in an animation frame (at most one pending), so a page never
 * paints more often than the screen refreshes or the scheduler sends (~10 per second); hidden
 * tabs do not paint at all. The views (their charts and graph layout) load on demand, with the
 * first dashboard mounted: importing bask costs nothing of them.
 */
import type { Client } from '../../client/client.js';
import { BaskError } from '../../errors.js';
import { DashboardConnection, type ConnectionStatus } from './connection.js';
import { DashboardModel } from './model.js';
import { injectStyles } from './styles.js';
import type { DashboardView } from './views.js';

/** What to watch: a scheduler's address or a client connected to one. */
export type DashboardSource = string | Client;

/** The views a dashboard can show. */
export type DashboardViewName = 'status' | 'workers' | 'graph';

const VIEWS: readonly string[] = ['status', 'workers', 'graph'];

/** Options of {@link mountDashboard}. */
export interface MountDashboardOptions {
  /** Which view (default 'status'). */
  view?: DashboardViewName;
  /** The scheduler's client token, when it has one. */
  token?: string;
}

/** A mounted dashboard. */
export interface DashboardHandle {
  readonly connection: DashboardConnection;
  readonly model: DashboardModel;
  /** Resolves true at the first frame painted, false if the dashboard closed before any. */
  readonly ready: Promise<boolean>;
  /** Disconnects and removes what the dashboard added to the element. */
  close(): void;
}

/** Mounts a live dashboard of a scheduler inside `element`. */
export function mountDashboard(
  element: HTMLElement,
  source: DashboardSource,
  options: MountDashboardOptions = {},
): DashboardHandle {
  const viewName = options.view ?? 'status';
  if (!VIEWS.includes(viewName)) {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `mountDashboard: unknown view '${String(viewName)}' (expected 'status', 'workers' or 'graph')`,
    );
  }
  const address = typeof source === 'string' ? source : source.address;
  if (address === undefined) {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      'mountDashboard: this Client runs a local pool, which has no scheduler dashboard; pass a Client connected with Client.connect(address) or the address itself',
    );
  }
  const doc = element.ownerDocument;
  injectStyles(doc);
  const root = doc.createElement('div');
  root.className = 'bask-dashboard';
  root.dataset['view'] = viewName;
  const status = doc.createElement('p');
  status.className = 'bask-conn';
  const body = doc.createElement('div');
  root.append(status, body);
  element.append(root);

  const connection = new DashboardConnection(
    address,
    options.token === undefined ? {} : { token: options.token },
  );
  const model = new DashboardModel();
  let view: DashboardView | undefined;
  let closed = false;
  let cancelFrame: (() => void) | undefined;
  let painted = false;
  let settle: (value: boolean) => void = () => undefined;
  const ready = new Promise<boolean>((resolve) => (settle = resolve));

  const paint = (): void => {
    cancelFrame = undefined;
    if (view === undefined) return; // painted once it has loaded
    view.update(model, Date.now());
    root.dataset['frames'] = String(Number(root.dataset['frames'] ?? 0) + 1);
    if (!painted) {
      painted = true;
      settle(true);
    }
  };
  const schedule = (): void => {
    if (cancelFrame !== undefined) return;
    const win = doc.defaultView;
    if (win !== null && typeof win.requestAnimationFrame === 'function') {
      const id = win.requestAnimationFrame(paint);
      cancelFrame = () => win.cancelAnimationFrame(id);
    } else {
      const id = setTimeout(paint, 0);
      cancelFrame = () => clearTimeout(id);
    }
  };
  const stopUpdates = connection.onUpdate((update) => {
    model.apply(update);
    schedule();
  });
  const stopStatus = connection.onStatus((s) => {
    showStatus(status, s, address);
    if (s.state === 'closed') settle(false);
  });
  makeView(viewName, body, connection).then(
    (made) => {
      if (closed) return made.destroy();
      view = made;
      schedule();
    },
    (error: unknown) => {
      status.textContent = `The dashboard view failed to load: ${String(error)}`;
      settle(false);
    },
  );

  return {
    connection,
    model,
    ready,
    close() {
      closed = true;
      stopUpdates();
      stopStatus();
      connection.close();
      cancelFrame?.();
      view?.destroy();
      root.remove();
      settle(false);
    },
  };
}

/** The view, its module loaded on demand (uPlot charts, dagre's graph layout). */
async function makeView(
  name: DashboardViewName,
  host: HTMLElement,
  connection: DashboardConnection,
): Promise<DashboardView> {
  if (name === 'graph') {
    const { GraphView } = await import('./graph-view.js');
    return new GraphView(host, connection);
  }
  const { StatusView, WorkersView } = await import('./views.js');
  return name === 'workers' ? new WorkersView(host) : new StatusView(host);
}

function showStatus(el: HTMLElement, s: ConnectionStatus, address: string): void {
  el.dataset['state'] = s.state;
  el.textContent =
    s.state === 'open'
      ? `Live from ${address}`
      : s.state === 'connecting'
        ? `Connecting to ${address}…`
        : s.state === 'retrying'
          ? `Disconnected from ${address} (${s.reason}); retrying…`
          : `Disconnected from ${address} (${s.reason})`;
}
