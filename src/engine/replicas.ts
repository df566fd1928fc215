/**
 * Replicated runs: a task with `verify: k` (where the engine replicates) runs on k distinct
 * hosts, and its result counts only once enough of their content hashes agree (verify.ts).
 *
 *   queued ──> processing (replicas out, votes in) ──> memory (the majority holds it)
 *                 │   ▲ a disagreement: more replicas, on hosts not tried yet
 *                 │   └── none free: the task waits in `needRuns` for a host (no error)
 *                 └──> erred (the majority failed, or no majority within maxResults)
 *
 * Invariants: while verifying, `processingOn` is null and every running replica counts in
 * its worker's `nprocessing` and `occupancy` (with the task's one `estimate`); replicas are
 * never pipelined, and dependents wait for the accepted result; only the majority's workers
 * become holders; the minority's hosts are quarantined. A result that arrives late is still
 * checked against the accepted hash, so every wrong result is counted.
 *
 * Quarantine: a host whose result disagreed with the majority leaves the engine for good, as
 * if its workers had closed: no task goes to them, nothing they hold is used (results only
 * they held are recomputed), their votes in verifications still going stop counting, and
 * threads of that host that join later are kept out.
 *
 * This layer overrides BaseEngine's replication hooks; only `Engine` (the cluster's) has it.
 */
import { BaskError } from '../errors.js';
import type { ReplicaResult } from './base.js';
import { executeOn, fetchFor } from './core.js';
import { estimateMicros, pickReplicas } from './policy.js';
import { assignTask, transition, unassignTask } from './state.js';
import {
  TaskChecks,
  type Fetch,
  type GraphSubmitted,
  type Quarantine,
  type TaskOptions,
  type TaskRecord,
  type Vote,
  type WorkerId,
  type WorkerRecord,
} from './types.js';
import { TimeoutCore } from './timeouts.js';
import { maxResults, tally, verifyOf, verifyProblem } from './verify.js';

/** Replicated tasks that may get nothing in a row before the rest wait for the next step. */
const REPLICA_MISSES = 8;

/** Replication and quarantine on top of host timeouts and the layers below. */
export class ReplicaCore extends TimeoutCore {
  /** Quarantined hosts, by host. */
  readonly quarantinedHosts = new Map<string, Quarantine>();
  /** Workers taken out by quarantine, kept to check what they still send. */
  readonly quarantinedWorkers = new Map<string, WorkerRecord>();

  /** Threads of a quarantined host are kept out when they join. */
  protected override workerAdded(
    id: WorkerId,
    nthreads: number,
    resources: Readonly<Record<string, number>>,
    host: string,
  ): void {
    if (!this.quarantinedHosts.has(host)) super.workerAdded(id, nthreads, resources, host);
  }

  /** Refuses a batch whose `verify` can never be satisfied, before any record is made. */
  protected override checkVerify(event: GraphSubmitted): void {
    const check = (key: string | undefined, options: TaskOptions): void => {
      const problem = verifyProblem(options);
      if (problem !== undefined)
        throw new BaskError(
          'ERR_INVALID_ARGUMENT',
          key === undefined ? problem : `Task '${key}': ${problem}`,
          key === undefined ? {} : { key },
        );
    };
    if (event.defaults?.verify !== undefined) check(undefined, event.defaults);
    if (event.options !== undefined)
      for (const [key, options] of event.options)
        if (options.verify !== undefined) check(key, options);
  }

  /**
   * Replicated tasks short of replicas get more where hosts have room. One that gets none goes
   * to the back of the line; after REPLICA_MISSES of those in a row the rest wait for the next
   * step (hosts are full), so that many tasks waiting for a host cost a step little, and each
   * gets its turn.
   */
  protected override retryReplicas(): void {
    let misses = 0;
    const rotate: TaskRecord[] = [];
    for (const t of this.needRuns) {
      const running = t.checks?.running.length ?? 0;
      this.startReplicas(t);
      if (this.needRuns.has(t) && (t.checks?.running.length ?? 0) === running) {
        rotate.push(t);
        if (++misses === REPLICA_MISSES) break;
      } else {
        misses = 0;
      }
    }
    for (const t of rotate) {
      if (!this.needRuns.delete(t)) continue;
      this.needRuns.add(t);
    }
  }

  protected override startReplicas(t: TaskRecord): boolean {
    const checks = (t.checks ??= new TaskChecks());
    const wanted = this.runsWanted(t, checks);
    const excluded =
      checks.timedOut.length === 0 ? checks.hosts : [...checks.hosts, ...checks.timedOut];
    const picks =
      wanted === 0 ? [] : pickReplicas(t, this.workerList, wanted, excluded, this.policy);
    const processing = t.state === 'processing';
    if (picks.length < wanted && (processing || picks.length > 0)) this.needRuns.add(t);
    else this.needRuns.delete(t);
    if (picks.length === 0) return processing;
    if (!processing) {
      // A fresh verification: one estimate for all its replicas (their workers' occupancy).
      transition(t, 'processing');
      t.estimate = estimateMicros(t.group, this.policy);
      checks.accepted = undefined;
    }
    for (const w of picks) this.runReplica(t, w, checks);
    return true;
  }

  /** More replicas the verification can use now (k minus those out, before any result). */
  private runsWanted(t: TaskRecord, checks: TaskChecks): number {
    const k = verifyOf(t.options);
    if (checks.votes.length === 0) return Math.max(0, k - checks.running.length);
    const verdict = tally(counted(checks), k, checks.running.length);
    return verdict.kind === 'more' ? verdict.runs : 0;
  }

  private runReplica(t: TaskRecord, w: WorkerRecord, checks: TaskChecks): void {
    assignTask(t, w);
    checks.running.push(w);
    checks.hosts.push(w.host);
    this.counters.replicas++;
    const fetch: Fetch[] = [];
    for (const dep of t.dependencies) {
      const holders = dep.holders as WorkerRecord[];
      // Never `move`: the other replicas fetch the same input.
      if (!holders.includes(w)) fetch.push(fetchFor(dep, w, false));
    }
    const execute = executeOn(t, w, fetch, false);
    execute.hash = true;
    this.out.push(execute);
  }

  /** Takes one replica off its worker's books. */
  protected override leaveReplica(t: TaskRecord, w: WorkerRecord): void {
    const checks = t.checks as TaskChecks;
    const i = checks.running.indexOf(w);
    if (i < 0) return;
    checks.running.splice(i, 1);
    unassignTask(t, w);
  }

  /** Whether `w` runs a replica of `t` now. */
  protected override runsReplica(t: TaskRecord, w: WorkerRecord): boolean {
    return (
      t.state === 'processing' &&
      t.processingOn === null &&
      t.checks !== null &&
      t.checks.running.includes(w)
    );
  }

  protected override stopReplicas(t: TaskRecord): void {
    this.needRuns.delete(t);
    const checks = t.checks;
    if (checks === null) return;
    for (const w of [...checks.running]) {
      this.leaveReplica(t, w);
      this.out.push({ type: 'cancel-task', worker: w.id, key: t.key });
    }
    for (const v of checks.votes) if (this.isLive(v.worker)) this.freeOn(v.worker, t.key);
    checks.votes = [];
    checks.hosts = [];
  }

  /** A replica finished (or failed): its vote is in; the verification may be decided. */
  protected override replicaDone(t: TaskRecord, w: WorkerRecord, result: ReplicaResult): void {
    this.leaveReplica(t, w);
    t.group.observe(result.duration);
    w.tasksDone++;
    const checks = t.checks as TaskChecks;
    const vote: Vote = { worker: w, hash: result.hash, nbytes: result.nbytes, counted: true };
    checks.votes.push(result.error === undefined ? vote : { ...vote, error: result.error });
    this.decide(t, w);
  }

  /** Acts on the verdict for a verifying task: accept, fail, or ask for more replicas. */
  protected override decide(t: TaskRecord, last?: WorkerRecord): void {
    const checks = t.checks as TaskChecks;
    const verdict = tally(counted(checks), verifyOf(t.options), checks.running.length);
    if (verdict.kind === 'accept') this.accept(t, verdict.hash, last);
    else if (verdict.kind === 'fail') this.failVerification(t);
    else if (verdict.runs > 0) this.needRuns.add(t);
  }

  private accept(t: TaskRecord, hash: string, last: WorkerRecord | undefined): void {
    const checks = t.checks as TaskChecks;
    const winners = checks.votes.filter((v) => v.counted && v.hash === hash);
    const holders = winners.map((v) => v.worker).filter((w) => this.isLive(w));
    // The deciding worker first: its value (a small result) came with this very result.
    if (last !== undefined && holders.indexOf(last) > 0) {
      holders.splice(holders.indexOf(last), 1);
      holders.unshift(last);
    }
    const losers = checks.votes.filter((v) => v.hash !== hash);
    const suspects = new Set(losers.filter((v) => v.counted).map((v) => v.worker.host));
    this.counters.mismatches += losers.length;
    const first = winners[0] as Vote;
    // End this verification: extra replicas stop, copies nobody keeps go.
    for (const w of [...checks.running]) {
      this.leaveReplica(t, w);
      this.out.push({ type: 'cancel-task', worker: w.id, key: t.key });
    }
    for (const v of checks.votes)
      if (!holders.includes(v.worker) && this.isLive(v.worker)) this.freeOn(v.worker, t.key);
    checks.votes = [];
    checks.hosts = [];
    this.needRuns.delete(t);
    if (first.error !== undefined) this.majorityFailed(t, first.error);
    else if (holders.length === 0) {
      // Everyone who agreed has left: verify again from scratch.
      this.needRuns.add(t);
    } else {
      checks.accepted = hash;
      this.counters.verified++;
      this.toMemory(t, holders, first.nbytes);
    }
    const reason = `its result for '${t.key}' disagreed with ${winners.length} other workers`;
    for (const host of suspects) this.quarantine(host, t.key, reason);
  }

  /** The majority of replicas failed: the task fails (or retries), as a single run would. */
  private majorityFailed(t: TaskRecord, error: unknown): void {
    if (t.retriesLeft > 0) {
      t.retriesLeft--;
      this.toQueued(t);
      return;
    }
    this.toErred(t, error, t.key);
  }

  private failVerification(t: TaskRecord): void {
    const checks = t.checks as TaskChecks;
    const k = verifyOf(t.options);
    const distinct = new Set(checks.votes.filter((v) => v.counted).map((v) => v.hash)).size;
    this.counters.verifyFailed++;
    const error = new BaskError(
      'ERR_VERIFY_FAILED',
      `Task '${t.key}' (verify: ${k}) gave ${distinct} different results on ${checks.votes.length} ` +
        `workers and no majority agreed within ${maxResults(k)} runs. verify needs a deterministic ` +
        'task (no random numbers, clocks or machine-specific values in its result); fix the task or drop verify',
      { key: t.key },
    );
    this.toErred(t, error, t.key);
  }

  /**
   * A result from a worker not running the task (cancelled, quarantined, or late): checked
   * against the accepted hash, or kept as an uncounted vote while the verification goes on,
   * so that a wrong result is counted (and its host quarantined) whenever it arrives.
   */
  protected override lateResult(t: TaskRecord, workerId: string, result: ReplicaResult): void {
    const checks = t.checks;
    if (checks === null) return;
    const w = this.workers.get(workerId) ?? this.quarantinedWorkers.get(workerId);
    if (w === undefined) return;
    const quarantined = this.quarantinedWorkers.get(workerId) === w;
    if (t.state === 'processing' && t.processingOn === null) {
      if (quarantined && !checks.votes.some((v) => v.worker.host === w.host))
        checks.votes.push({ worker: w, hash: result.hash, nbytes: result.nbytes, counted: false });
      return;
    }
    if (checks.accepted === undefined || result.hash === checks.accepted) return;
    this.counters.mismatches++;
    if (!quarantined)
      this.quarantine(w.host, t.key, `its late result for '${t.key}' disagreed with the majority`);
  }

  /**
   * A worker received other bytes for `key` than the hash its verification accepted: the host
   * that served them lies about what it holds. It goes, like a host outvoted; its data is
   * recomputed where needed.
   */
  protected override dataForged(key: string, from: WorkerId): void {
    const w = this.workers.get(from);
    if (w === undefined) return;
    this.counters.forged++;
    this.quarantine(
      w.host,
      key,
      `it served data for '${key}' that does not match its verified hash`,
    );
  }

  /** Takes a host out of the engine for disagreeing with the majority on `key`. */
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

  /** Whether the worker record is still the engine's (not removed or replaced). */
  protected isLive(w: WorkerRecord): boolean {
    return this.workers.get(w.id) === w;
  }
}

function counted(checks: TaskChecks): string[] {
  const hashes: string[] = [];
  for (const v of checks.votes) if (v.counted) hashes.push(v.hash);
  return hashes;
}
