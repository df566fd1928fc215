/**
 * The DOM view of a ProgressBar: a `<progress>` element and a text line in a container
 * (`div.bask-progress`) appended to the user's element. Works with any element that has an
 * `ownerDocument`, so a page can put the bar anywhere.
 *
 * Policy: intermediate states are painted in an animation frame (a timer where there is no
 * `requestAnimationFrame`), at most one pending at a time; the bar already throttles updates to
 * its interval. The final state is painted synchronously at finish, because frames never come
 * in a hidden tab. Failure is shown by the `bask-progress-error` class and `data-state="error"`
 * on the container, and a red accent on the `<progress>`.
 */
import {
  formatElapsed,
  fractionDone,
  type ProgressSnapshot,
  type ProgressView,
} from './progress-views.js';

/** The class names the DOM view sets, for styling. */
export const PROGRESS_CLASSES = {
  root: 'bask-progress',
  text: 'bask-progress-text',
  error: 'bask-progress-error',
  done: 'bask-progress-done',
} as const;

const ERROR_COLOR = '#d62728';

interface Parts {
  readonly root: HTMLElement;
  readonly bar: HTMLProgressElement;
  readonly text: HTMLElement;
}

type Frame = { readonly cancel: () => void };

/** Runs `paint` in the next animation frame, or on a timer where frames do not exist. */
function requestFrame(paint: () => void): Frame {
  if (typeof globalThis.requestAnimationFrame === 'function') {
    const id = globalThis.requestAnimationFrame(paint);
    return { cancel: () => globalThis.cancelAnimationFrame(id) };
  }
  const id = setTimeout(paint, 0);
  return { cancel: () => clearTimeout(id) };
}

/** The text line under the bar: `4/10 tasks (40%) · 1 failed · 1.2s`. */
export function formatProgressText(state: ProgressSnapshot): string {
  const percent = Math.floor(100 * fractionDone(state));
  const failure = state.errors > 0 ? ` · ${state.errors} failed` : state.failed ? ' · failed' : '';
  return `${state.done}/${state.total} tasks (${percent}%)${failure} · ${formatElapsed(state.elapsed).trim()}`;
}

/** Draws progress into a DOM element. */
export class DomProgressView implements ProgressView {
  readonly live = true;
  private parts: Parts | undefined;
  private frame: Frame | undefined;
  private latest: ProgressSnapshot | undefined;

  constructor(private readonly element: Element) {}

  begin(): void {
    this.cancel();
    this.latest = undefined;
  }

  update(state: ProgressSnapshot): void {
    this.latest = state;
    this.frame ??= requestFrame(() => {
      this.frame = undefined;
      if (this.latest !== undefined) this.paint(this.latest, false);
    });
  }

  finish(state: ProgressSnapshot): void {
    this.cancel();
    this.paint(state, true);
  }

  cancel(): void {
    this.frame?.cancel();
    this.frame = undefined;
  }

  private ensureParts(): Parts {
    if (this.parts === undefined) {
      const doc = this.element.ownerDocument;
      const root = doc.createElement('div');
      root.className = PROGRESS_CLASSES.root;
      const bar = doc.createElement('progress');
      bar.setAttribute('aria-label', 'Computation progress');
      const text = doc.createElement('span');
      text.className = PROGRESS_CLASSES.text;
      text.setAttribute('aria-live', 'polite');
      root.append(bar, text);
      this.parts = { root, bar, text };
    }
    // Re-attach when the page cleared the element between runs.
    if (this.parts.root.parentNode !== this.element) this.element.append(this.parts.root);
    return this.parts;
  }

  private paint(state: ProgressSnapshot, final: boolean): void {
    const { root, bar, text } = this.ensureParts();
    const failed = state.failed || state.errors > 0;
    // max must be positive; an empty run is drawn as complete.
    bar.max = Math.max(1, state.total);
    bar.value = state.total > 0 ? Math.min(state.done, state.total) : final ? 1 : 0;
    bar.style.accentColor = failed ? ERROR_COLOR : '';
    text.textContent = formatProgressText(state);
    text.style.color = failed ? ERROR_COLOR : '';
    root.classList.toggle(PROGRESS_CLASSES.error, failed);
    root.classList.toggle(PROGRESS_CLASSES.done, final);
    root.dataset['state'] = failed ? 'error' : final ? 'done' : 'running';
  }
}
