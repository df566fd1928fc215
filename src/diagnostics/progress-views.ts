/**
 * What a ProgressBar draws and where: the snapshot it hands to a view, and the terminal view
 * (Dask's text bar, redrawn in place with `\r`). The DOM view lives in `progress-dom.ts`.
 *
 * Policy: a view is told `update` at most once per interval (the bar throttles) and `finish`
 * exactly once per run; the terminal view writes intermediate states only to a TTY, and nothing
 * at all for runs shorter than `minimum`. Lines are padded to the previous line's length so a
 * shorter redraw never leaves stale characters behind.
 */

/** The state of a run as a view sees it. */
export interface ProgressSnapshot {
  /** Tasks announced by `start` events (summed over overlapping runs). */
  readonly total: number;
  /** Tasks that ended, successfully or not. */
  readonly done: number;
  /** Tasks that ended with an error. */
  readonly errors: number;
  /** The run (or a task of it) failed. */
  readonly failed: boolean;
  /** Milliseconds since the run started. */
  readonly elapsed: number;
}

/** A place a ProgressBar draws into. */
export interface ProgressView {
  /** Whether intermediate states are shown at all (a non-TTY stream shows only the last). */
  readonly live: boolean;
  /** A run starts: forget the previous run's drawing. */
  begin(): void;
  /** An intermediate state (throttled by the bar). */
  update(state: ProgressSnapshot): void;
  /** The final state of the run; always called once, after the last update. */
  finish(state: ProgressSnapshot): void;
  /** Drops any scheduled drawing (the bar was unregistered mid-run). */
  cancel(): void;
}

/** Where the terminal bar writes: `process.stderr`, a test double, any writable-like object. */
export interface ProgressStream {
  write(text: string): unknown;
  /** Intermediate states are drawn (with `\r`) only when true. */
  readonly isTTY?: boolean;
  /** Terminal width; the bar shrinks to fit in it. */
  readonly columns?: number;
}

const RED = '\u001b[31m';
const RESET = '\u001b[0m';
const MIN_BAR_WIDTH = 10;

/** Elapsed time as Dask's ProgressBar shows it: ` 1.2s`, ` 2min  3.4s`, ` 1hr  2min  3.4s`. */
export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, ms) / 1000;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = (seconds % 60).toFixed(1).padStart(4);
  if (h > 0) return `${String(h).padStart(2)}hr ${String(m).padStart(2)}min ${s}s`;
  if (m > 0) return `${String(m).padStart(2)}min ${s}s`;
  return `${s}s`;
}

/** The fraction done, 1 for an empty run (nothing to do is all done). */
export function fractionDone(state: ProgressSnapshot): number {
  return state.total > 0 ? Math.min(1, state.done / state.total) : 1;
}

/** `[########      ] | 40% Completed | 4/10 |  1.2s`, with the bar `width` characters wide. */
export function formatBarLine(state: ProgressSnapshot, width: number): string {
  const frac = fractionDone(state);
  const bar = '#'.repeat(Math.floor(width * frac)).padEnd(width);
  const percent = Math.floor(100 * frac);
  const failure = state.errors > 0 ? ` | ${state.errors} failed` : state.failed ? ' | failed' : '';
  return `[${bar}] | ${percent}% Completed | ${state.done}/${state.total}${failure} | ${formatElapsed(state.elapsed)}`;
}

/** Options of the terminal view (validated by the ProgressBar). */
export interface TerminalViewOptions {
  readonly out: ProgressStream;
  readonly width: number;
  /** Milliseconds; runs shorter than this draw nothing. */
  readonly minimum: number;
}

/** Dask's text bar on a stream: `\r` redraws on a TTY, a single final line otherwise. */
export class TerminalProgressView implements ProgressView {
  readonly live: boolean;
  private drawnLength = 0;

  constructor(private readonly options: TerminalViewOptions) {
    this.live = options.out.isTTY === true;
  }

  begin(): void {
    this.drawnLength = 0;
  }

  update(state: ProgressSnapshot): void {
    if (!this.live || state.elapsed < this.options.minimum) return;
    this.options.out.write(this.render(state, '\r'));
  }

  finish(state: ProgressSnapshot): void {
    // Dask's `minimum`: a run this short leaves no trace, not even a final line.
    if (state.elapsed < this.options.minimum) return;
    this.options.out.write(this.render(state, this.live ? '\r' : '') + '\n');
    this.drawnLength = 0;
  }

  cancel(): void {
    if (this.live && this.drawnLength > 0) this.options.out.write('\n');
    this.drawnLength = 0;
  }

  private render(state: ProgressSnapshot, prefix: string): string {
    let line = formatBarLine(state, this.options.width);
    const columns = this.options.out.columns;
    if (columns !== undefined && columns > 0 && line.length >= columns) {
      // Shrink only the bar so the counts and time stay readable in a narrow terminal.
      const width = Math.max(MIN_BAR_WIDTH, this.options.width - (line.length - columns + 1));
      line = formatBarLine(state, width);
    }
    const padded = line.padEnd(this.drawnLength);
    this.drawnLength = line.length;
    const red = this.live && (state.failed || state.errors > 0);
    return prefix + (red ? RED + padded + RESET : padded);
  }
}
