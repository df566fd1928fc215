/**
 * Workers coming and going, and what goes wrong with them: a worker joins or dies (its runs
 * go elsewhere, its data is lost and recomputed from lineage), a fetch finds an input gone, a
 * run goes past its timeout, a host is quarantined for a wrong result.
 *
 * Policies:
 * - A task running on `allowedFailures` workers that died fails with ERR_KILLED_WORKER.
 * - A run past its timeout moves to a host where the task has not timed out; the task fails
 *   with ERR_TIMEOUT once it timed out on `allowedFailures` hosts, or on every host that could
 *   run it (nowhere left to try). Timeouts do not use up `retries` (those are for errors).
 * - A quarantined host's workers leave the engine for good, as if they had closed: no task
 *   goes to them, nothing they hold is used (results only they held are recomputed), their
 *   votes in verifications still going stop counting, and threads of that host that join
 *   later are kept out.
 */
import { BaskError } from '../errors.js';
import { couldRun } from './policy.js';
import { ReplicaCore } from './replicas.js';
import {
  TaskChecks,
  WorkerRecord,
  type Quarantine,
  type TaskRecord,
  type WorkerId,
} from './types.js';

/** Worker events and faults on top of replication and the core transitions. */
export abstract class FaultCore extends ReplicaCore {
  /** Quarantined hosts, by host. */
  readonly quarantinedHosts = new Map<string, Quarantine>();

  protected workerAdded(
    id: WorkerId,
    nthreads: number,
    resources: Readonly<Record<string, number>>,
    host: string,
  ): void {
    if (this.workers.has(id) || this.quarantinedHosts.has(host)) return;
    if (!(Number.isInteger(nthreads) && nthreads > 0)) {
      throw new BaskError(
        'ERR_INVALID_ARGUMENT',
        `Worker '${id}' must have a positive integer nthreads, got ${nthreads}`,
      );
    }
    const w = new WorkerRecord(id, nthreads, resources, host);
    this.workers.set(id, w);
    this.workerList = [...this.workers.values()];
  }

  protected workerRemoved(
    id: WorkerId,
    running: readonly string[] | undefined,
    reason: 'crashed' | 'closed',
  ): void {
    const w = this.workers.get(id);
    if (w === undefined) return;
    this.workers.delete(id);
    this.workerList = [...this.workers.values()];
    if (this.previousRootWorker === w) this.previousRootWorker = undefined;
    this.freeing.delete(w);
    const processing: TaskRecord[] = [];
    const held: TaskRecord[] = [];
    for (const t of this.tasks.values()) {
      if (t.processingOn === w) processing.push(t);
      else if (t.processingOn === null && t.checks?.running.includes(w) === true)
        processing.push(t);
      else if (t.holders !== null && t.holders.includes(w)) held.push(t);
    }
    for (const t of processing) {
      const replica = this.runsReplica(t, w);
      // A failure of an earlier task may already have taken this one off the worker.
      if (t.processingOn !== w && !replica) continue;
      if (replica) this.leaveReplica(t, w);
      else this.leaveWorker(t);
      if (reason === 'crashed' && (running === undefined || running.includes(t.key)))
        t.suspicious++;
      if (t.suspicious >= this.allowedFailures) {
        const error = new BaskError(
          'ERR_KILLED_WORKER',
          `Task '${t.key}' was running on ${t.suspicious} workers that died (last: '${id}'); ` +
            'it probably crashes its worker (out of memory, process.exit, an infinite loop under a timeout).',
          { key: t.key },
        );
        this.toErred(t, error, t.key);
      } else if (replica) {
        this.decide(t);
      } else {
        this.rewait(t);
      }
    }
    for (const t of held) {
      const holders = t.holders;
      if (holders === null) continue;
      const i = holders.indexOf(w);
      if (i >= 0) holders.splice(i, 1);
      if (holders.length === 0 && t.state === 'memory') this.lost(t);
    }
    this.drainReleaseChecks();
  }

  protected taskMissingData(
    key: string,
    workerId: WorkerId,
    missing: readonly { key: string; from: WorkerId }[],
  ): void {
    const t = this.tasks.get(key);
    const w = this.workers.get(workerId);
    for (const m of missing) {
      const dep = this.tasks.get(m.key);
      const holder = this.workers.get(m.from);
      if (dep === undefined || holder === undefined || dep.holders === null) continue;
      const i = dep.holders.indexOf(holder);
      if (i >= 0) {
        dep.holders.splice(i, 1);
        holder.nkeys--;
        holder.nbytes -= dep.nbytes;
      }
      if (dep.holders.length === 0 && dep.state === 'memory') this.lost(dep);
    }
    if (t !== undefined && w !== undefined && t.state === 'processing') {
      if (t.processingOn === w) {
        this.leaveWorker(t);
        this.unpipeline(t, w);
        this.rewait(t);
      } else if (this.runsReplica(t, w)) {
        // It never ran there: that host may run it again.
        const checks = t.checks as TaskChecks;
        this.leaveReplica(t, w);
        checks.hosts.splice(checks.hosts.indexOf(w.host), 1);
        this.decide(t);
      }
    }
    this.drainReleaseChecks();
  }

  /** A run went past the task's timeout: another host gets it, or it fails ERR_TIMEOUT. */
  protected taskTimedOut(key: string, workerId: WorkerId): void {
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

  protected quarantine(host: string, key: string, reason: string): void {
    if (this.quarantinedHosts.has(host)) return;
    const workers = this.workerList.filter((w) => w.host === host);
    const ids = workers.map((w) => w.id);
    this.quarantinedHosts.set(host, { host, workers: ids, key, reason });
    this.counters.quarantined++;
    this.out.push({ type: 'quarantine', host, workers: ids, key, reason });
    // Its votes in verifications still going stop counting, before anything is decided again.
    const affected: TaskRecord[] = [];
    for (const t of this.tasks.values()) {
      const checks = t.checks;
      if (checks === null || t.state !== 'processing' || t.processingOn !== null) continue;
      let changed = false;
      for (const v of checks.votes) {
        if (v.counted && v.worker.host === host) {
          v.counted = false;
          changed = true;
        }
      }
      if (changed) affected.push(t);
    }
    for (const w of workers) {
      this.quarantinedWorkers.set(w.id, w);
      this.workerRemoved(w.id, [], 'closed');
    }
    for (const t of affected)
      if (t.state === 'processing' && t.processingOn === null) this.decide(t);
  }
}
