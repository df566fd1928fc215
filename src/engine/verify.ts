/**
 * Verification by replication, as small pure functions: when the results of a task with
 * `verify: k` are accepted, how many more runs it needs, and when to give up.
 *
 * Policy: a hash is accepted when at least `k` results agree on it and they are a strict
 * majority of all results counted. A disagreement therefore costs more runs, on further hosts,
 * until one hash has that majority; the hosts outside it are quarantined by the engine. No
 * verification counts more than `maxResults(k)` results: when the leading hash cannot reach a
 * majority within that bound, the task fails (ERR_VERIFY_FAILED), since more runs keep
 * disagreeing (a task that is not deterministic, or too many liars).
 *
 * An error is a result like any other: its vote is its code, name and message, so a majority
 * that fails fails the task, and a worker that fails where the majority did not is in the
 * minority.
 */
import type { TaskOptions } from './types.js';

/** The largest `verify` accepted (the protocol's bound too). */
export const MAX_VERIFY = 16;

/** What to do with a verification after its latest result. */
export type Verdict =
  | { kind: 'accept'; hash: string }
  /** Send `runs` more replicas (0: wait for the ones running). */
  | { kind: 'more'; runs: number }
  | { kind: 'fail' };

/** The most results one verification of `verify: k` collects before it fails: 2k + 1. */
export function maxResults(k: number): number {
  return 2 * k + 1;
}

/**
 * The verdict on the results counted so far (`hashes`, one per host) of a task with
 * `verify: k`, with `running` replicas still out (each counted as a possible agreeing vote).
 */
export function tally(hashes: readonly string[], k: number, running: number): Verdict {
  // At most maxResults(MAX_VERIFY) hashes: counting pairwise allocates nothing.
  let leader = '';
  let best = 0;
  const n = hashes.length;
  for (let i = 0; i < n; i++) {
    const h = hashes[i] as string;
    if (h === leader) continue;
    let c = 0;
    for (let j = i; j < n; j++) if (hashes[j] === h) c++;
    if (c > best) {
      best = c;
      leader = h;
    }
  }
  if (best >= k && 2 * best > n) return { kind: 'accept', hash: leader };
  // The fewest further results, all agreeing with the leader, that would give it the majority.
  const needed = Math.max(k - best, n - 2 * best + 1, 1);
  if (n + needed > maxResults(k)) return { kind: 'fail' };
  return { kind: 'more', runs: Math.max(0, needed - running) };
}

/** The vote of a failed run: errors agree when their code, name and message do. */
export function errorVote(error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const e = error as { code?: unknown; name?: unknown; message?: unknown };
    return `error:${text(e.code)}:${text(e.name)}:${text(e.message)}`;
  }
  return `error:${text(error)}`;
}

function text(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

/** The `verify` of a task (1 when not replicated). */
export function verifyOf(options: TaskOptions | null): number {
  return options?.verify ?? 1;
}

/**
 * Why options can never be satisfied by replication, or undefined when they can: `verify`
 * must be an integer from 1 to MAX_VERIFY, and a `workers` restriction must name at least
 * `verify` distinct processes (`alice/0` and `alice/1` are threads of one process, one host).
 */
export function verifyProblem(options: TaskOptions): string | undefined {
  const k = options.verify;
  if (k === undefined) return undefined;
  if (!Number.isInteger(k) || k < 1 || k > MAX_VERIFY)
    return `verify must be an integer from 1 to ${MAX_VERIFY}, got ${String(k)}`;
  if (k > 1 && options.workers !== undefined) {
    const processes = new Set(options.workers.map((w) => w.replace(/\/\d+$/, '')));
    if (processes.size < k)
      return (
        `verify: ${k} needs ${k} distinct worker processes, but workers: [${options.workers.join(', ')}] ` +
        `allows ${processes.size}; name more workers or lower verify`
      );
  }
  return undefined;
}
