/**
 * Waiting on many futures: `asCompleted` (an async iterator in completion order) and `wait`
 * (until all, or the first, are done, with an optional timeout). Failed and cancelled futures
 * count as done; their errors come out of `result()`.
 */
import { BaskError } from '../errors.js';
import type { Future } from './future.js';

/** Options of {@link asCompleted}. */
export interface AsCompletedOptions {
  /** Yield `[future, value]` pairs instead of futures (failed ones throw from the iterator). */
  withResults?: boolean;
}

/** Yields futures as they complete. */
export function asCompleted<T>(futures: Iterable<Future<T>>): AsyncGenerator<Future<T>>;
export function asCompleted<T>(
  futures: Iterable<Future<T>>,
  options: { withResults: true },
): AsyncGenerator<[Future<T>, T]>;
export async function* asCompleted<T>(
  futures: Iterable<Future<T>>,
  options: AsCompletedOptions = {},
): AsyncGenerator<Future<T> | [Future<T>, T]> {
  const queue: Future<T>[] = [];
  let wake: (() => void) | undefined;
  const list = [...futures];
  for (const f of list) {
    f.addDoneCallback((done) => {
      queue.push(done);
      wake?.();
    });
  }
  for (let yielded = 0; yielded < list.length; yielded++) {
    while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    const next = queue.shift() as Future<T>;
    yield options.withResults === true ? [next, await next.result()] : next;
  }
}

/** Options of {@link wait}. */
export interface WaitOptions {
  /** Give up after this many milliseconds (rejects with ERR_TIMEOUT). */
  timeout?: number;
  /** 'ALL_COMPLETED' (default) or 'FIRST_COMPLETED'. */
  returnWhen?: 'ALL_COMPLETED' | 'FIRST_COMPLETED';
}

/** Waits for futures; resolves to `{ done, notDone }`. */
export async function wait<T>(
  futures: Iterable<Future<T>>,
  options: WaitOptions = {},
): Promise<{ done: Future<T>[]; notDone: Future<T>[] }> {
  const list = [...futures];
  const all = options.returnWhen !== 'FIRST_COMPLETED';
  const finished = new Promise<void>((resolve) => {
    let remaining = list.length;
    if (remaining === 0) resolve();
    for (const f of list) {
      f.addDoneCallback(() => {
        remaining--;
        if (!all || remaining === 0) resolve();
      });
    }
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit =
    options.timeout === undefined
      ? undefined
      : new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new BaskError(
                  'ERR_TIMEOUT',
                  `wait(): futures not done within ${options.timeout} ms`,
                ),
              ),
            options.timeout,
          );
        });
  try {
    await (limit === undefined ? finished : Promise.race([finished, limit]));
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
  return { done: list.filter((f) => f.done()), notDone: list.filter((f) => !f.done()) };
}
