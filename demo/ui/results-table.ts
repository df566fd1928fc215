/**
 * The results table: one row per file, in input order: the file, its day and its spread, or
 * the file's error; files not computed yet show as pending.
 *
 * Policy: only the rows in view (plus a margin) are in the DOM, so 1,000 or 100,000 files
 * cost the same to paint; spacer rows keep the scrollbar true to the whole list. `set` only
 * stores a result; `render` paints, and the page calls it at most ~10 times a second (see
 * Throttle) and once per animation frame while scrolling. Rows have a fixed height so that
 * finding the rows in view is arithmetic; the height is the stylesheet's `--row-height` (taller
 * on narrow screens, where a file name may take two lines).
 */
import { isSpreadFailure, type SpreadResult } from 'bask/seed';
import { el } from './dom.js';
import type { InputFile } from './files.js';

/** The row height when the stylesheet says none. */
const DEFAULT_ROW_HEIGHT = 34;
const OVERSCAN = 12;

/** What a row without a result says: before any run, or while its run is going. */
export type EmptyRowState = 'idle' | 'pending';

/** A windowed table of per-file results. */
export class ResultsTable {
  private files: readonly InputFile[] = [];
  private results: (SpreadResult | undefined)[] = [];
  private emptyState: EmptyRowState = 'idle';
  private readonly scroller: HTMLElement;
  private readonly table: HTMLTableElement;
  private readonly caption: HTMLTableCaptionElement;
  private readonly body: HTMLTableSectionElement;
  private frame: number | undefined;

  constructor(host: HTMLElement) {
    this.scroller = el('div', 'table-scroll');
    this.scroller.tabIndex = 0;
    this.table = el('table', 'results-table');
    this.caption = el('caption', undefined, 'Results');
    const head = el('thead');
    const headRow = el('tr');
    headRow.setAttribute('aria-rowindex', '1');
    for (const [text, className] of [
      ['#', 'num'],
      ['File', 'file'],
      ['Day', 'day'],
      ['Spread', 'spread'],
    ] as const) {
      const th = el('th', className, text);
      th.scope = 'col';
      headRow.append(th);
    }
    head.append(headRow);
    this.body = el('tbody');
    this.table.append(this.caption, head, this.body);
    this.scroller.append(this.table);
    host.replaceChildren(this.scroller);
    this.scroller.addEventListener('scroll', () => this.scheduleRender(), { passive: true });
    new ResizeObserver(() => this.scheduleRender()).observe(this.scroller);
    this.render();
  }

  /** Starts over with `files`, none computed. */
  reset(files: readonly InputFile[], state: EmptyRowState): void {
    this.files = files;
    this.results = new Array<SpreadResult | undefined>(files.length);
    this.emptyState = state;
    this.table.setAttribute('aria-rowcount', String(files.length + 1));
    this.scroller.scrollTop = 0;
    this.render();
  }

  /** Stores one file's result; it shows at the next `render`. */
  set(index: number, result: SpreadResult): void {
    this.results[index] = result;
  }

  /** Sets the caption (what the table shows, and from which run). */
  setCaption(text: string): void {
    this.caption.textContent = text;
  }

  /** Paints the rows in view. */
  render(): void {
    if (this.frame !== undefined) cancelAnimationFrame(this.frame);
    this.frame = undefined;
    const n = this.files.length;
    if (n === 0) {
      const cell = el(
        'td',
        'placeholder',
        'No files yet: drop CSV files above, or use the sample data.',
      );
      cell.colSpan = 4;
      const row = el('tr');
      row.append(cell);
      this.body.replaceChildren(row);
      return;
    }
    const height = this.readRowHeight();
    const top = this.table.offsetTop + this.body.offsetTop;
    const first = Math.floor((this.scroller.scrollTop - top) / height);
    const last = Math.ceil((this.scroller.scrollTop + this.scroller.clientHeight - top) / height);
    const start = Math.max(0, first - OVERSCAN);
    const end = Math.min(n, Math.max(last, 0) + OVERSCAN);
    const rows = document.createDocumentFragment();
    if (start > 0) rows.append(spacer(start * height));
    for (let i = start; i < end; i++) rows.append(this.renderRow(i));
    if (end < n) rows.append(spacer((n - end) * height));
    this.body.replaceChildren(rows);
  }

  /** The stylesheet's row height (it changes with the screen's width). */
  private readRowHeight(): number {
    const value = parseFloat(getComputedStyle(this.scroller).getPropertyValue('--row-height'));
    return value > 0 ? value : DEFAULT_ROW_HEIGHT;
  }

  private scheduleRender(): void {
    this.frame ??= requestAnimationFrame(() => this.render());
  }

  private renderRow(i: number): HTMLTableRowElement {
    const file = this.files[i] as InputFile;
    const result = this.results[i];
    const row = el('tr');
    row.setAttribute('aria-rowindex', String(i + 2));
    row.dataset['file'] = file.name;
    const name = el('th', 'file');
    name.append(breakableName(file.name));
    name.scope = 'row';
    name.title = file.name;
    row.append(el('td', 'num', String(i + 1)), name);
    if (result === undefined) {
      row.dataset['state'] = this.emptyState;
      const cell = el('td', 'pending', this.emptyState === 'pending' ? 'computing…' : '—');
      cell.colSpan = 2;
      row.append(cell);
    } else if (isSpreadFailure(result)) {
      row.dataset['state'] = 'error';
      const cell = el('td', 'error', result.error.message);
      cell.colSpan = 2;
      cell.title = `${result.error.code}: ${result.error.message}`;
      row.append(cell);
    } else {
      row.dataset['state'] = 'ok';
      const spread = el('td', 'spread', result.spread.toFixed(4));
      spread.dataset['value'] = String(result.spread);
      row.append(el('td', 'day', result.day.toISOString().slice(0, 10)), spread);
    }
    return row;
  }
}

/** A file name that may wrap after `/`, `_`, `-` and `.` (on narrow screens it takes two lines). */
function breakableName(name: string): HTMLSpanElement {
  const span = el('span', 'file-name');
  for (const part of name.split(/(?<=[/_.-])/)) {
    if (span.firstChild !== null) span.append(el('wbr'));
    span.append(part);
  }
  return span;
}

function spacer(height: number): HTMLTableRowElement {
  const row = el('tr', 'spacer');
  row.setAttribute('aria-hidden', 'true');
  const cell = el('td');
  cell.colSpan = 4;
  cell.style.height = `${height}px`;
  row.append(cell);
  return row;
}
