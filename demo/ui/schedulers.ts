/**
 * The scheduler choice: Sync, Worker pool or Cluster (with the scheduler's address), the
 * cluster's connection status, and links to that scheduler's live dashboard and volunteer
 * page. Choosing Cluster, or changing its address while it is chosen, connects at once
 * (through cluster.ts), so the page says whether a cluster is there before anything runs.
 */
import { clusterHttpOrigin, type ServingScheduler } from '../cluster.js';
import { getCluster, type SchedulerKind } from '../runner.js';

/** The elements of the scheduler panel. */
export interface SchedulerElements {
  readonly form: HTMLFormElement;
  readonly address: HTMLInputElement;
  readonly clusterStatus: HTMLElement;
  readonly poolSize: HTMLElement;
  /** Links to the scheduler's `/status` and `/worker` pages (they open in a new tab). */
  readonly dashboardLink: HTMLAnchorElement;
  readonly volunteerLink: HTMLAnchorElement;
}

/** Reads the scheduler choice and shows the cluster's status. */
export class SchedulerPanel {
  /** The bask scheduler that serves this page (`bask demo`), once /api/config has said so. */
  private serving: ServingScheduler | undefined;

  constructor(private readonly elements: SchedulerElements) {
    const { form, address, poolSize } = elements;
    const cores = navigator.hardwareConcurrency || 4;
    poolSize.textContent = `${cores} Web Workers, one per core`;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    address.value = `${scheme}://${location.hostname || '127.0.0.1'}:8786`;
    this.updateLinks();
    // Served by `bask demo`: the scheduler says where it really listens.
    fetch('./api/config')
      .then((r): Promise<{ scheduler?: string }> | { scheduler?: string } =>
        r.ok ? (r.json() as Promise<{ scheduler?: string }>) : {},
      )
      .then((config) => {
        if (typeof config.scheduler !== 'string') return;
        this.serving = { address: config.scheduler, origin: location.origin };
        address.value = config.scheduler;
        this.updateLinks();
      })
      .catch(() => undefined);
    form.addEventListener('submit', (event) => event.preventDefault());
    form.addEventListener('change', () => this.checkCluster());
    address.addEventListener('input', () => this.updateLinks());
  }

  /** The chosen scheduler. */
  get kind(): SchedulerKind {
    const value = new FormData(this.elements.form).get('scheduler');
    return value === 'sync' || value === 'cluster' ? value : 'threads';
  }

  /** The cluster scheduler's address. */
  get address(): string {
    return this.elements.address.value.trim();
  }

  /** Shows that the cluster could not be reached, and why. */
  showClusterUnavailable(message: string): void {
    this.setStatus('unavailable', message);
  }

  /** Points the links at the pages of the scheduler at the address (none for a bad address). */
  private updateLinks(): void {
    const origin = clusterHttpOrigin(this.address, this.serving);
    for (const [link, path] of [
      [this.elements.dashboardLink, '/status'],
      [this.elements.volunteerLink, '/worker'],
    ] as const) {
      if (origin === undefined) link.removeAttribute('href');
      else link.href = `${origin}${path}`;
    }
  }

  private checkCluster(): void {
    if (this.kind !== 'cluster') return;
    const address = this.address;
    this.setStatus('connecting', `Connecting to ${address}…`);
    getCluster(address).then(
      () => this.setStatus('connected', `Connected to ${address}.`),
      (error: unknown) =>
        this.setStatus('unavailable', error instanceof Error ? error.message : String(error)),
    );
  }

  private setStatus(state: 'connecting' | 'connected' | 'unavailable', text: string): void {
    const status = this.elements.clusterStatus;
    status.dataset['state'] = state;
    status.textContent = text;
  }
}
