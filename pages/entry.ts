/**
 * The scheduler's dashboard pages (/status, /workers, /graph): thin entries around
 * `mountDashboard`. Each page names its view in `<body data-view>`; the scheduler that served
 * the page says which port its WebSocket listens on (/api/config), and the page connects to it
 * by the host name it was itself loaded from (the scheduler reports 127.0.0.1 when it binds
 * every interface, which a browser on another machine cannot use). A scheduler with a client
 * token wants it: open the page as `/status?token=...` (the links keep it).
 */
import { mountDashboard, type DashboardViewName } from '../src/diagnostics/dashboard/mount.js';

const view = (document.body.dataset['view'] ?? 'status') as DashboardViewName;
const token = new URLSearchParams(location.search).get('token') ?? undefined;
for (const link of document.querySelectorAll('nav a')) {
  const href = link.getAttribute('href');
  if (href === `./${view}`) link.setAttribute('aria-current', 'page');
  if (href !== null && location.search !== '') link.setAttribute('href', href + location.search);
}

const host = document.getElementById('dashboard') as HTMLElement;
const config = (await (await fetch('./api/config')).json()) as { scheduler: string };
mountDashboard(host, schedulerAddress(config.scheduler), {
  view,
  ...(token !== undefined ? { token } : {}),
});

function schedulerAddress(configured: string): string {
  const port = new URL(configured).port;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.hostname}${port === '' ? '' : `:${port}`}`;
}
