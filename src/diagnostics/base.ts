/**
 * The common base of the local diagnostics (ProgressBar, Profiler, ResourceProfiler): each is a
 * plain `Callbacks` object, used either per call (`compute(x, { callbacks: [bar] })`, Dask's
 * `callbacks=`) or for every computation until disposed (`using _ = bar.register()`, Dask's
 * `with ProgressBar():`).
 *
 * Invariant: diagnostics learn about computations only through the hooks in `hooks.ts`; a
 * diagnostic that owns a timer stops it when unregistered, so a run whose `finish` never comes
 * (an abandoned registration) cannot leave a timer behind.
 */
import { registerCallbacks, type Callbacks } from '../hooks.js';
import { BaskError } from '../errors.js';

/** What `register()` returns: `unregister()` or dispose (`using`) to stop receiving events. */
export type Registration = Disposable & { unregister(): void };

/** A diagnostic: hook callbacks (in subclasses) plus `register()` for scoped, global use. */
export abstract class Diagnostic {
  /**
   * Subscribes this diagnostic to every computation until the returned registration is
   * disposed: `{ using _ = new ProgressBar().register(); await compute(x); }`.
   */
  register(this: Diagnostic & Callbacks): Registration {
    const registration = registerCallbacks(this);
    let active = true;
    const unregister = (): void => {
      if (!active) return;
      active = false;
      registration.unregister();
      this.onUnregister();
    };
    return { unregister, [Symbol.dispose]: unregister };
  }

  /** Releases timers and other resources when the registration ends; no-op by default. */
  protected onUnregister(): void {}
}

/** Throws ERR_INVALID_ARGUMENT unless `value` is a finite number >= `min` (options are checked once). */
export function checkNumber(name: string, value: number, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `${name} must be a number >= ${min}, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * Whether something last done at `last` is due again at `t`, `interval` ms later. A tenth of
 * the interval is forgiven because timers fire a little late or early relative to a drawing or
 * sample the hooks made in between; without the slack a 100 ms ticker would often skip a beat.
 */
export function isDue(last: number, t: number, interval: number): boolean {
  return t - last >= interval * 0.9;
}

/** A repeating timer that never keeps a Node process alive (unref'd), and its cancel function. */
export function startTicker(ms: number, tick: () => void): () => void {
  const handle = setInterval(tick, ms);
  // Node returns a Timeout with unref(); browsers return a number. A diagnostic must never be
  // the reason a script does not exit.
  (handle as { unref?: () => void }).unref?.();
  return () => clearInterval(handle);
}
