/**
 * Runs past their timeout on a host (the cluster's workers report them: `task-timed-out`).
 * The local pool enforces limits itself, by stopping the worker, so `BaseEngine` has no use
 * for this layer and an app's bundle leaves it out.
 *
 * Policy: a run past its timeout moves to a host where the task has not timed out; the task
 * fails with ERR_TIMEOUT once it timed out on `allowedFailures` hosts, or on every host that
 * could run it (nowhere left to try). Timeouts do not use up `retries` (those are for errors).
 */
import { BaskError } from '../errors.js';
import { BaseEngine } from './base.js';
import { couldRun } from './policy.js';
import { TaskChecks, type WorkerId } from './types.js';

/** Host timeouts on top of the engine's events, faults and core transitions. */
export class TimeoutCore extends BaseEngine {
  /** A run went past the task's timeout: another host gets it, or it fails ERR_TIMEOUT. */
  protected override taskTimedOut(key: string, workerId: WorkerId): void {
    const t = this.tasks.get(key);
    const w = this.workers.get(workerId);
    if (t === undefined || w === undefined || t.state !== 'processing') return;
    const replica = this.runsReplica(t, w);
    if (t.processingOn !== w && !replica) return;
    const checks = (t.checks ??= new TaskChecks());
    if (!checks.timedOut.includes(w.host)) checks.timedOut.push(w.host);
    this.counters.timeouts++;
    this.out.push({ type: 'cancel-task', worker: w.id, key });
    if (replica) this.leaveReplica(t, w);
    else {
      this.leaveWorker(t);
      this.unpipeline(t, w);
    }
    const untried = this.workerList.some(
      (other) => !checks.timedOut.includes(other.host) && couldRun(t, other),
    );
    if (checks.timedOut.length >= this.allowedFailures || !untried) {
      const n = checks.timedOut.length;
      const error = new BaskError(
        'ERR_TIMEOUT',
        `Task '${key}' ran past its ${String(t.options?.timeout)} ms timeout on ${n} ` +
          `worker host${n === 1 ? '' : 's'} (last: '${workerId}'); ` +
          (untried
            ? `a task may time out on ${this.allowedFailures} hosts at most. `
            : 'no other host could run it. ') +
          'Raise the timeout, or fix the task',
        { key },
      );
      this.toErred(t, error, key);
    } else if (replica) {
      this.decide(t);
    } else {
      this.rewait(t);
    }
    this.drainReleaseChecks();
  }
}
