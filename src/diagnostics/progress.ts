/**
 * `ProgressBar` (Dask's `dask.diagnostics.ProgressBar`): counts tasks from the `start` and
 * `taskEnd` hooks and draws them in a terminal (default) or into a DOM element.
 *
 * ```ts
 * { using _ = new ProgressBar().register(); await compute(x); }
 * await compute(x, { callbacks: [new ProgressBar({ element: document.querySelector('#bar')! })] });
 * ```
 * [########                ] | 40% Completed | 4/10 |  1.2s
 *
 * Policy: drawing is throttled by time (at most one redraw per `interval`, ~10 a second), from
 * the hooks themselves, because the sync scheduler can keep the thread busy for a long time
 * between yields, and from an unref'd ticker, so the elapsed time moves while the thread waits
 * for async tasks. The final state is always drawn at finish. Overlapping runs (a registered bar
 * seeing two computations at once) add up into one bar that finishes with the last run.
 */
import {
  now,
  type Callbacks,
  type FinishEvent,
  type StartEvent,
  type TaskEndEvent,
} from '../hooks.js';
import { checkNumber, Diagnostic, isDue, startTicker } from './base.js';
import { DomProgressView } from './progress-dom.js';
import {
  TerminalProgressView,
  type ProgressSnapshot,
  type ProgressStream,
  type ProgressView,
} from './progress-views.js';

/** Options of {@link ProgressBar}. */
export interface ProgressBarOptions {
  /** Seconds: runs shorter than this draw nothing in the terminal (Dask's `minimum`). Default 0. */
  minimum?: number;
  /** Width of the terminal bar in characters. Default 40. */
  width?: number;
  /** Milliseconds between redraws. Default 100 (at most ~10 redraws a second). */
  interval?: number;
  /** The terminal bar's stream. Default `process.stderr` where it exists, else the console. */
  out?: ProgressStream;
  /** DOM mode: draw a `<progress>` and a text line into this element instead of a stream. */
  element?: Element;
}

/** Where the terminal bar writes when no `out` is given. */
function defaultStream(): ProgressStream {
  const stderr = (globalThis as { process?: { stderr?: ProgressStream } }).process?.stderr;
  if (stderr !== undefined && typeof stderr.write === 'function') return stderr;
  // Browsers and workers without a DOM element: the final line goes to the console.
  return {
    write: (text: string): void => {
      if (text.trim() !== '') console.info(text.trim());
    },
  };
}

/** A progress bar for computations, in a terminal or a web page. */
export class ProgressBar extends Diagnostic implements Callbacks {
  private readonly view: ProgressView;
  private readonly interval: number;
  private running = 0;
  private total = 0;
  private done = 0;
  private errors = 0;
  private failed = false;
  private started = 0;
  /** The elapsed time of the last finished run, so `state` stays still after finish. */
  private lastElapsed = 0;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private stopTicker: (() => void) | undefined;

  constructor(options: ProgressBarOptions = {}) {
    super();
    this.interval = checkNumber('interval', options.interval ?? 100, 1);
    const minimum = checkNumber('minimum', options.minimum ?? 0, 0);
    const width = Math.floor(checkNumber('width', options.width ?? 40, 1));
    this.view =
      options.element !== undefined
        ? new DomProgressView(options.element)
        : new TerminalProgressView({
            out: options.out ?? defaultStream(),
            width,
            minimum: minimum * 1000,
          });
  }

  /** The current counts: total and finished tasks, errors, elapsed milliseconds. */
  get state(): ProgressSnapshot {
    return {
      total: this.total,
      done: this.done,
      errors: this.errors,
      failed: this.failed,
      elapsed: this.running > 0 ? now() - this.started : this.lastElapsed,
    };
  }

  /** Hook: a computation starts. */
  start(event: StartEvent): void {
    if (this.running++ === 0) {
      this.total = 0;
      this.done = 0;
      this.errors = 0;
      this.failed = false;
      this.started = event.time;
      this.view.begin();
      if (this.view.live) this.stopTicker = startTicker(this.interval, () => this.refresh());
    }
    this.total += event.ntasks;
    this.draw(now());
  }

  /** Hook: a task finished or failed. */
  taskEnd(event: TaskEndEvent): void {
    if (this.running === 0) return;
    this.done++;
    if (event.error !== undefined) this.errors++;
    this.refresh();
  }

  /** Hook: a computation ended; the last of overlapping runs draws the final state. */
  finish(event: FinishEvent): void {
    if (this.running === 0) return;
    if (event.error !== undefined) this.failed = true;
    if (--this.running > 0) return;
    this.stop();
    this.lastElapsed = now() - this.started;
    this.view.finish(this.state);
  }

  protected override onUnregister(): void {
    if (this.running === 0) return;
    this.running = 0;
    this.stop();
    this.view.cancel();
  }

  /** Redraws when the last drawing is at least one interval old. */
  private refresh(): void {
    const t = now();
    if (isDue(this.lastDraw, t, this.interval)) this.draw(t);
  }

  private draw(t: number): void {
    this.lastDraw = t;
    if (this.view.live) this.view.update(this.state);
  }

  private stop(): void {
    this.stopTicker?.();
    this.stopTicker = undefined;
  }
}
