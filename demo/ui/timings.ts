/**
 * The wall times of the last run on each scheduler, side by side like the `%time` lines of
 * the Dask tutorial (`Wall time: 812 ms`), and whether their results are identical.
 *
 * Policy: only runs over the current input count; the page calls `reset` when the files or
 * the column mapping change. A scheduler that could not run (no cluster) is listed with why.
 */
import { formatWallTime, isSpreadFailure } from 'bask/seed';
import { differingFiles } from '../compare.js';
import { SCHEDULER_LABELS, type RunOutcome, type SchedulerKind } from '../runner.js';
import { el, plural } from './dom.js';

const ORDER: readonly SchedulerKind[] = ['sync', 'threads', 'cluster'];
const SHOWN_DIFFERENCES = 3;

/** The wall-time lines and the verdict on the results. */
export class TimingsPanel {
  private readonly outcomes = new Map<SchedulerKind, RunOutcome>();

  constructor(
    private readonly list: HTMLElement,
    private readonly verdict: HTMLElement,
  ) {
    this.render();
  }

  /** Forgets every run (the input changed). */
  reset(): void {
    this.outcomes.clear();
    this.render();
  }

  /** Records the latest run on a scheduler. */
  record(outcome: RunOutcome): void {
    this.outcomes.set(outcome.kind, outcome);
    this.render();
  }

  private render(): void {
    const items = ORDER.flatMap((kind) => {
      const outcome = this.outcomes.get(kind);
      return outcome === undefined ? [] : [renderLine(outcome)];
    });
    if (items.length === 0) items.push(el('li', 'muted', 'No runs yet.'));
    this.list.replaceChildren(...items);
    this.renderVerdict();
  }

  private renderVerdict(): void {
    const done = ORDER.flatMap((kind) => {
      const outcome = this.outcomes.get(kind);
      return outcome?.status === 'done' ? [outcome] : [];
    });
    const base = done[0];
    delete this.verdict.dataset['identical'];
    this.verdict.classList.remove('ok', 'bad');
    if (base === undefined || done.length < 2) {
      this.verdict.textContent =
        base === undefined ? '' : 'Run another scheduler (or "Run all three") to compare results.';
      return;
    }
    const names = done.map((o) => SCHEDULER_LABELS[o.kind]).join(', ');
    for (const other of done.slice(1)) {
      const differing = differingFiles(base.results, other.results);
      if (differing.length > 0) {
        const shown = differing.slice(0, SHOWN_DIFFERENCES).join(', ');
        const more = differing.length > SHOWN_DIFFERENCES ? ', …' : '';
        this.verdict.textContent = `✗ Results differ between ${SCHEDULER_LABELS[base.kind]} and ${SCHEDULER_LABELS[other.kind]} in ${plural(differing.length, 'file')}: ${shown}${more}`;
        this.verdict.dataset['identical'] = 'false';
        this.verdict.classList.add('bad');
        return;
      }
    }
    const failed = base.results.filter(isSpreadFailure).length;
    const summary = `${plural(base.results.length, 'file')}: ${plural(base.results.length - failed, 'spread')}, ${plural(failed, 'error')}`;
    this.verdict.textContent = `✓ Results are identical on ${names} (${summary}).`;
    this.verdict.dataset['identical'] = 'true';
    this.verdict.classList.add('ok');
  }
}

function renderLine(outcome: RunOutcome): HTMLLIElement {
  const item = el('li');
  item.dataset['scheduler'] = outcome.kind;
  item.append(el('span', 'timing-name', SCHEDULER_LABELS[outcome.kind]));
  if (outcome.status === 'done') {
    item.append(el('span', 'timing-value', `Wall time: ${formatWallTime(outcome.wallMs)}`));
  } else {
    item.classList.add('unavailable');
    item.append(el('span', 'timing-value', `not available: ${outcome.message}`));
  }
  return item;
}
