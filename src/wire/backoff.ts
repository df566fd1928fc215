/**
 * Reconnecting to a scheduler, one mechanism for everyone who does it: `bask worker` processes
 * (server/worker/rejoin.ts), clients (client/remote.ts) and volunteer tabs (volunteer/host.ts).
 *
 * Policy: retry what can change (ERR_CONNECTION: nothing listening, the socket dropped, a
 * scheduler still starting) after a delay that doubles from `initialDelayMs` up to `maxDelayMs`,
 * until `retries` attempts after the first failed or `deadlineMs` passed; anything else (a
 * refused token, another protocol version) ends at once. An abort ends the wait right away and
 * settles with undefined: whoever stops retrying is never left with a pending promise.
 */
import { BaskError, isBaskError } from '../errors.js';
import { CLOSE } from './protocol.js';

/**
 * Close codes after which connecting again cannot help: a refused token (4001), a message the
 * scheduler found invalid (4002), another protocol version (4004). See the README's table.
 */
export const CLOSE_CODES_FINAL: ReadonlySet<number> = new Set([
  CLOSE.auth,
  CLOSE.invalid,
  CLOSE.version,
]);

/** How often and how long to retry. */
export interface BackoffPolicy {
  /** Attempts after the first failed one (Infinity: until `deadlineMs`). */
  readonly retries: number;
  /** Milliseconds before the first retry; each next wait doubles. */
  readonly initialDelayMs: number;
  /** The longest wait between two attempts (ms). */
  readonly maxDelayMs: number;
  /** Give up once this many ms have passed since the first attempt (default: never). */
  readonly deadlineMs?: number;
}

/**
 * How a client or a volunteer tab retries after losing its scheduler (their `reconnect`
 * option). Defaults: 10 retries, 250 ms before the first, doubling up to 5 s (about half a
 * minute in all).
 */
export interface ReconnectOptions {
  /** Attempts after the connection dropped before giving up with ERR_CONNECTION (default 10). */
  retries?: number;
  /** Milliseconds before the first attempt; each next wait doubles (default 250). */
  initialDelayMs?: number;
  /** The longest wait between attempts, in ms (default 5000). */
  maxDelayMs?: number;
}

/**
 * Checks a `reconnect` option (errors name `where` and the option) and completes it with the
 * defaults; `false` is a policy of no retries.
 */
export function reconnectPolicyOf(
  option: ReconnectOptions | false | undefined,
  where: string,
): BackoffPolicy {
  const invalid = (message: string): BaskError =>
    new BaskError('ERR_INVALID_ARGUMENT', `${where}: reconnect: ${message}`);
  if (option === false) return { retries: 0, initialDelayMs: 0, maxDelayMs: 0 };
  if (option !== undefined && (option === null || typeof option !== 'object'))
    throw invalid(`expected an object or false, got ${String(option)}`);
  const { retries = 10, initialDelayMs = 250, maxDelayMs = 5000 } = option ?? {};
  if (!(retries === Infinity || (Number.isInteger(retries) && retries >= 0)))
    throw invalid(`retries must be a whole number >= 0 or Infinity, got ${String(retries)}`);
  for (const [name, value] of [
    ['initialDelayMs', initialDelayMs],
    ['maxDelayMs', maxDelayMs],
  ] as const)
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      throw invalid(`${name} must be a number of milliseconds >= 0, got ${String(value)}`);
  return { retries, initialDelayMs, maxDelayMs: Math.max(initialDelayMs, maxDelayMs) };
}

/** The wait before retry number `retry` (0 is the first retry): pure, for tests. */
export function backoffDelay(policy: BackoffPolicy, retry: number): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(retry, 30));
}

/** What `retryWithBackoff` needs besides the attempt. */
export interface RetryOptions {
  /** Ends the retries: the call then resolves with undefined. */
  readonly signal?: AbortSignal;
  /** Whether a failed attempt may be retried (default: ERR_CONNECTION only). */
  readonly retryable?: (error: unknown) => boolean;
  /** The error to throw when giving up after `tries` attempts (default: the last error). */
  readonly giveUp?: (last: BaskError, tries: number) => Error;
  /** Told of each failed attempt that will be retried after `delayMs`. */
  readonly onRetry?: (error: unknown, delayMs: number) => void;
}

/**
 * Calls `attempt` until it succeeds, retrying as `policy` says; resolves with its value, or
 * undefined when `signal` aborted. Rejects with a non-retryable error at once, or with
 * `giveUp(last)` once the retries or the deadline are spent.
 */
export async function retryWithBackoff<T>(
  attempt: () => Promise<T>,
  policy: BackoffPolicy,
  options: RetryOptions = {},
): Promise<T | undefined> {
  const { signal } = options;
  const retryable = options.retryable ?? ((e: unknown) => isBaskError(e, 'ERR_CONNECTION'));
  const deadline = Date.now() + (policy.deadlineMs ?? Infinity);
  for (let retry = 0; ; retry++) {
    if (isAborted(signal)) return undefined;
    try {
      return await attempt();
    } catch (error) {
      if (isAborted(signal)) return undefined;
      if (!retryable(error)) throw error;
      const delay = backoffDelay(policy, retry);
      if (retry >= policy.retries || Date.now() + delay > deadline) {
        const last = isBaskError(error)
          ? error
          : new BaskError('ERR_CONNECTION', String(error), { cause: error });
        throw options.giveUp?.(last, retry + 1) ?? last;
      }
      options.onRetry?.(error, delay);
      if (!(await sleep(delay, signal))) return undefined;
    }
  }
}

/** Waits `ms`; resolves false at once when `signal` aborts (the timer is cleared). */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted === true) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve(!(signal?.aborted ?? false));
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}
