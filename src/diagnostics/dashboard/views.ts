/**
 * The status and workers views: DOM skeletons filled from the model at each paint. Each view
 * owns the elements it creates inside its host and nothing else.
 */
import type { DashboardModel } from './model.js';
import { RateChart } from './rate-chart.js';
import { renderLiveStream } from './stream-view.js';
import { groupsHtml, totalsHtml, workerSummaryHtml, workersTableHtml } from './tables.js';

/** A view of the model inside a host element. */
export interface DashboardView {
  update(model: DashboardModel, now: number): void;
  destroy(): void;
}

function section(doc: Document, host: HTMLElement, title: string, className: string): HTMLElement {
  const h = doc.createElement('h2');
  h.textContent = title;
  const body = doc.createElement('div');
  body.className = className;
  host.append(h, body);
  return body;
}

/** /status: totals, task stream, progress by group, workers, throughput. */
export class StatusView implements DashboardView {
  private readonly totals: HTMLElement;
  private readonly stream: HTMLElement;
  private readonly groups: HTMLElement;
  private readonly workers: HTMLElement;
  private readonly chart: RateChart;
  private readonly note: HTMLElement;

  constructor(host: HTMLElement) {
    const doc = host.ownerDocument;
    this.totals = doc.createElement('div');
    this.totals.className = 'bask-totals';
    host.append(this.totals);
    this.stream = section(doc, host, 'Task stream', 'bask-stream');
    this.note = doc.createElement('p');
    this.note.className = 'bask-note bask-stream-note';
    host.append(this.note);
    this.groups = section(doc, host, 'Progress', 'bask-progress-groups');
    this.workers = section(doc, host, 'Workers', 'bask-worker-list');
    this.chart = new RateChart(section(doc, host, 'Throughput', 'bask-rates'));
  }

  update(model: DashboardModel): void {
    const latest = model.latest;
    if (latest === undefined) return;
    this.totals.innerHTML = totalsHtml(latest.totals);
    this.stream.innerHTML = renderLiveStream(model.runs, model.transfers, latest.workers, {
      width: Math.max(300, this.stream.clientWidth || 900),
    });
    const behind =
      model.skipped > 0
        ? ` ${model.skipped.toLocaleString('en-US')} runs were not sent to this page (more than it can draw, or it fell behind).`
        : '';
    this.note.textContent = `Runs since ${new Date(latest.totals.since).toLocaleTimeString()}: bars are task runs on worker threads, striped bars data moved or spilled (from heartbeats), red bars failures.${behind}`;
    this.groups.innerHTML = groupsHtml(latest.groups, latest.totals.groupsOmitted);
    this.workers.innerHTML = workerSummaryHtml(latest.workers);
    this.chart.update(model.history);
  }

  destroy(): void {
    this.chart.destroy();
  }
}

/** /workers: the table of worker processes. */
export class WorkersView implements DashboardView {
  private readonly summary: HTMLElement;
  private readonly table: HTMLElement;

  constructor(host: HTMLElement) {
    const doc = host.ownerDocument;
    this.summary = doc.createElement('div');
    this.summary.className = 'bask-totals';
    this.table = section(doc, host, 'Workers', 'bask-workers-box');
    host.prepend(this.summary);
  }

  update(model: DashboardModel, now: number): void {
    const latest = model.latest;
    if (latest === undefined) return;
    const t = latest.totals;
    this.summary.innerHTML =
      `<div data-total="processes" data-value="${t.processes}"><b>${t.processes}</b><span>workers</span></div>` +
      `<div data-total="threads" data-value="${t.threads}"><b>${t.threads}</b><span>threads</span></div>` +
      `<div data-total="clients" data-value="${t.clients}"><b>${t.clients}</b><span>clients</span></div>`;
    // Ages are relative to the scheduler's clock, so a skewed browser clock does not matter.
    this.table.innerHTML = workersTableHtml(latest.workers, latest.time + (now - model.receivedAt));
  }

  destroy(): void {}
}
