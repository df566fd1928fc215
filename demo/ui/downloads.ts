/**
 * "Download CSV" and "Download JSON": the last run's results as files, one row per file in
 * input order, made in the page (no server involved).
 *
 * Policy: failed files are kept, so that a download says which files are missing and why:
 * the JSON is what `bask spreads --json` prints (`{ file, day, spread }` or
 * `{ file, error, code }`), the CSV has the columns file, day, spread, error, code with the
 * unused ones empty. Spreads keep every digit (the table rounds to 4 decimals); days are
 * `YYYY-MM-DD` (UTC). The CSV is written by Papa Parse's `unparse` (quoting as RFC 4180), with
 * cells that a spreadsheet would run as formulas (`=`, `+`, `-`, `@` first) escaped.
 */
import Papa from 'papaparse';
import { isSpreadFailure, type SpreadResult } from 'bask/seed';

const CSV_FIELDS = ['file', 'day', 'spread', 'error', 'code'];

/** The two buttons. */
export interface DownloadButtons {
  readonly csv: HTMLButtonElement;
  readonly json: HTMLButtonElement;
}

/** Offers the results of the last run as CSV and JSON files. */
export class ResultsDownloads {
  private results: readonly SpreadResult[] = [];

  constructor(private readonly buttons: DownloadButtons) {
    buttons.csv.addEventListener('click', () =>
      saveText(resultsToCsv(this.results), 'spreads.csv', 'text/csv'),
    );
    buttons.json.addEventListener('click', () =>
      saveText(resultsToJson(this.results), 'spreads.json', 'application/json'),
    );
    this.set([]);
  }

  /** The results to offer; none disables the buttons (before a run, and during one). */
  set(results: readonly SpreadResult[]): void {
    this.results = results;
    this.buttons.csv.disabled = results.length === 0;
    this.buttons.json.disabled = results.length === 0;
  }
}

/** The day of a result as `YYYY-MM-DD`, or '' for a timestamp that is not a date. */
function isoDay(day: Date): string {
  return Number.isFinite(day.getTime()) ? day.toISOString().slice(0, 10) : '';
}

/** The results as CSV text: file, day, spread, error, code. */
export function resultsToCsv(results: readonly SpreadResult[]): string {
  // Spreads go in as numbers: formula escaping is for text, and a number keeps every digit.
  const data = results.map((r): (string | number)[] =>
    isSpreadFailure(r)
      ? [r.file, '', '', r.error.message, r.error.code]
      : [r.file, isoDay(r.day), r.spread, '', ''],
  );
  return `${Papa.unparse({ fields: CSV_FIELDS, data }, { escapeFormulae: true })}\r\n`;
}

/** The results as `bask spreads --json` prints them. */
export function resultsToJson(results: readonly SpreadResult[]): string {
  const rows = results.map((r) =>
    isSpreadFailure(r)
      ? { file: r.file, error: r.error.message, code: r.error.code }
      : { file: r.file, day: isoDay(r.day), spread: r.spread },
  );
  return `${JSON.stringify(rows, null, 2)}\n`;
}

/** Saves `text` as a download named `name`. */
function saveText(text: string, name: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: `${type};charset=utf-8` }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started from the URL; give it a moment before letting the bytes go.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
