/**
 * The volunteer page (`/worker` on a scheduler's HTTP port): joins the cluster of the
 * scheduler that served it and shows what this tab does. The scheduler's ws:// address comes
 * from `/api/config`. URL parameters: `token` (the worker token; asked for when the scheduler
 * refuses with ERR_AUTH), `name`, `threads`, `memory` (bytes before spilling to IndexedDB),
 * and `webrtc=off` (always use the relay).
 *
 * The thread slider applies by leaving and joining again with the new count (the cluster
 * reschedules what was running here).
 */
import { isBaskError, joinCluster, type JoinOptions, type Volunteer } from 'bask';
import './styles.css';
import { byId, showState, showStatus } from './view.js';

const params = new URLSearchParams(location.search);
const cores = Math.max(1, navigator.hardwareConcurrency || 1);
let token = params.get('token') ?? undefined;
let volunteer: Volunteer | undefined;
let joining: Promise<void> = Promise.resolve();

function joinOptions(): JoinOptions {
  const memory = params.get('memory');
  const threads = Number(byId<HTMLInputElement>('threads').value);
  return {
    nthreads: threads,
    ...(token !== undefined ? { token } : {}),
    ...(params.get('name') !== null ? { name: params.get('name') as string } : {}),
    ...(memory !== null ? { memoryLimit: Number(memory) } : {}),
    ...(params.get('webrtc') === 'off' ? { webrtc: false } : {}),
  };
}

async function schedulerAddress(): Promise<string> {
  const response = await fetch('/api/config');
  const config = (await response.json()) as { scheduler?: unknown };
  if (typeof config.scheduler !== 'string') throw new Error('/api/config has no scheduler');
  return config.scheduler;
}

async function join(): Promise<void> {
  const address = await schedulerAddress();
  byId('address').textContent = address;
  showState('connecting', `Joining ${address}…`);
  try {
    const v = await joinCluster(address, joinOptions());
    volunteer = v;
    showState('running', `Working as ${v.name} with ${v.threads.length} thread(s).`);
    let shown: string = v.status().state;
    v.onStatus((status) => {
      showStatus(status);
      if (volunteer !== v || status.state === shown) return;
      shown = status.state;
      if (status.state === 'stopped') showState('stopped', `Stopped: ${status.reason ?? ''}`);
      else if (status.state === 'reconnecting')
        showState('reconnecting', `Reconnecting to ${address} (${status.reason ?? ''})…`);
      else showState('running', `Working again as ${v.name} with ${v.threads.length} thread(s).`);
    });
  } catch (error) {
    if (isBaskError(error, 'ERR_AUTH')) {
      showState('refused', 'The scheduler refused this token.');
      byId('token-form').hidden = false;
      return;
    }
    showState('stopped', error instanceof Error ? error.message : String(error));
  }
}

/** Leaves (if joined), then joins again: one at a time. */
function rejoin(): void {
  joining = joining.then(async () => {
    const old = volunteer;
    volunteer = undefined;
    await old?.leave('the volunteer changed its threads');
    await join();
  });
}

function setUpControls(): void {
  const slider = byId<HTMLInputElement>('threads');
  const wanted = Number(params.get('threads') ?? cores);
  slider.max = String(Math.max(cores, wanted));
  slider.value = String(wanted);
  byId('threads-value').textContent = slider.value;
  slider.addEventListener('input', () => (byId('threads-value').textContent = slider.value));
  slider.addEventListener('change', rejoin);
  byId('leave').addEventListener('click', () => {
    joining = joining.then(async () => {
      const old = volunteer;
      volunteer = undefined;
      await old?.leave();
      showState('stopped', 'Left the cluster. Reload the page to join again.');
    });
  });
  byId<HTMLFormElement>('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    token = byId<HTMLInputElement>('token').value;
    byId('token-form').hidden = true;
    rejoin();
  });
}

setUpControls();
rejoin();
