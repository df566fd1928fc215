/**
 * The failed files of the last run, each with its whole message: table cells cut long
 * messages short, and a message says what to fix (the file, the line, the column).
 *
 * Policy: at most MAX_SHOWN messages are listed (a wrong column mapping fails every file
 * with nearly the same message); the count says how many failed in all.
 */
import { isSpreadFailure, type SpreadResult } from 'bask/seed';
import { el, plural } from './dom.js';

const MAX_SHOWN = 50;

/** Lists the errors of a run under the results table. */
export class ErrorList {
  constructor(private readonly host: HTMLElement) {
    this.clear();
  }

  /** Shows the failures among `results` (nothing when every file computed). */
  show(results: readonly SpreadResult[]): void {
    const failures = results.filter(isSpreadFailure);
    if (failures.length === 0) {
      this.clear();
      return;
    }
    const details = el('details');
    details.open = true;
    details.append(el('summary', undefined, `${plural(failures.length, 'file')} failed`));
    const list = el('ul');
    for (const failure of failures.slice(0, MAX_SHOWN)) {
      const item = el('li');
      item.dataset['file'] = failure.file;
      item.append(
        el('strong', undefined, failure.file),
        el('span', 'error-message', failure.error.message),
        el('code', 'error-code', failure.error.code),
      );
      list.append(item);
    }
    details.append(list);
    if (failures.length > MAX_SHOWN) {
      details.append(el('p', 'muted', `…and ${plural(failures.length - MAX_SHOWN, 'more')}.`));
    }
    this.host.replaceChildren(details);
    this.host.hidden = false;
  }

  /** Removes the list. */
  clear(): void {
    this.host.replaceChildren();
    this.host.hidden = true;
  }
}
