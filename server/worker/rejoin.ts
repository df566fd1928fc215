/**
 * A worker process that outlives its scheduler's restarts, as Dask workers do. When the
 * connection is lost (the scheduler stopped or restarted, the network dropped, or it removed
 * this worker for missed heartbeats), the process ends its threads and joins again, retrying
 * with backoff for up to `deathTimeout` ms; it also waits that long for a scheduler that is not
 * up yet. What a retry cannot fix (a wrong token, another protocol version, a message the
 * scheduler found invalid) ends it at once.
 *
 * Policy: data held before the loss is gone (a restarted scheduler knows nothing of it, and one
 * that removed this worker has rescheduled its work), so each join starts fresh threads.
 */
import { BaskError } from '../../src/errors.js';
import { CLOSE_CODES_FINAL, retryWithBackoff, type BackoffPolicy } from '../../src/wire/backoff.js';
import { WorkerProcess, type WorkerProcessOptions } from './process.js';

/** How `serve` reports: a line for the terminal. */
export type Log = (line: string) => void;

/** Retries until --death-timeout: 250 ms, doubling up to 5 s. */
const REJOIN_POLICY: BackoffPolicy = { retries: Infinity, initialDelayMs: 250, maxDelayMs: 5000 };

/**
 * Runs a worker process until `stop` resolves (a signal: exit code 0) or until it has been
 * without a scheduler for `deathTimeout` ms, or refused for good (exit code 1).
 */
export async function serve(
  options: WorkerProcessOptions,
  deathTimeout: number,
  stop: Promise<string>,
  log: Log,
): Promise<number> {
  let stopped: string | undefined;
  void stop.then((signal) => (stopped = signal));
  for (let joins = 0; ; joins++) {
    const worker = await join(options, deathTimeout, stop);
    if (worker === undefined) return stopped !== undefined ? 0 : 1;
    const threads = worker.threadIds;
    log(
      `Worker '${worker.name}' ${joins === 0 ? 'registered' : 'registered again'} at ${options.address} with ${threads.length} thread${threads.length === 1 ? '' : 's'}: ${threads.join(', ')}\n` +
        `Peers fetch its data at: ${worker.peerAddress}`,
    );
    const reason = await Promise.race([stop, worker.whenStopped()]);
    worker.stop(reason);
    log(`Worker '${worker.name}' stopped: ${reason}`);
    if (stopped !== undefined) return 0;
    const code = worker.closeCode;
    if (code !== undefined && CLOSE_CODES_FINAL.has(code)) return 1;
    log(
      `Worker '${worker.name}': joining ${options.address} again (giving up after ${deathTimeout / 1000} s without a scheduler)`,
    );
  }
}

/** Joins, retrying what can change (an unreachable or closing scheduler) until the deadline. */
async function join(
  options: WorkerProcessOptions,
  deathTimeout: number,
  stop: Promise<string>,
): Promise<WorkerProcess | undefined> {
  const aborted = new AbortController();
  void stop.then(() => aborted.abort());
  return retryWithBackoff(
    () => WorkerProcess.start(options),
    { ...REJOIN_POLICY, deadlineMs: deathTimeout },
    {
      signal: aborted.signal,
      giveUp: (last) =>
        new BaskError(
          'ERR_CONNECTION',
          `No scheduler answered at ${options.address} for ${deathTimeout / 1000} s (--death-timeout). Last try: ${last.message}`,
          { cause: last },
        ),
    },
  );
}
