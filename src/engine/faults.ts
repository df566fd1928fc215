/**
 * Workers coming and going, and what goes wrong with them: a worker joins or dies (its runs
 * go elsewhere, its data is lost and recomputed from lineage), a fetch finds an input gone.
 * Runs past their timeout on a host are timeouts.ts; quarantine is replicas.ts.
 *
 * Policy: a task running on `allowedFailures` workers that died fails with ERR_KILLED_WORKER.
 * A worker that leaves touches only its own tasks: its `processing` and `held` indexes.
 *
 * Replicated runs come and go through the hooks declared here; the layers above implement
 * them (none in BaseEngine, the real ones in replicas.ts).
 */
import { BaskError } from '../errors.js';
import { EngineCore } from './core.js';
import { removeHolder } from './state.js';
import { type TaskChecks, WorkerRecord, type TaskRecord, type WorkerId } from './types.js';

/** Worker events and faults on top of the core transitions. */
export abstract class FaultCore extends EngineCore {
  /** Whether `w` runs a replica of `t` now. */
  protected abstract runsReplica(t: TaskRecord, w: WorkerRecord): boolean;
  /** Takes one replica off its worker's books. */
  protected abstract leaveReplica(t: TaskRecord, w: WorkerRecord): void;
  /** Acts on the verdict for a verifying task: accept, fail, or ask for more replicas. */
  protected abstract decide(t: TaskRecord, last?: WorkerRecord): void;
  /** `from` served data for `key` that did not match its verified hash. */
  protected abstract dataForged(key: string, from: WorkerId): void;

  protected workerAdded(
    id: WorkerId,
    nthreads: number,
    resources: Readonly<Record<string, number>>,
    host: string,
  ): void {
    if (this.workers.has(id)) return;
    if (!(Number.isInteger(nthreads) && nthreads > 0)) {
      throw new BaskError(
        'ERR_INVALID_ARGUMENT',
        `Worker '${id}' must have a positive integer nthreads, got ${nthreads}`,
      );
    }
    const w = new WorkerRecord(id, nthreads, resources, host);
    this.workers.set(id, w);
    this.workerList.push(w); // joins in order, as the map's; O(1) so 10,000 joins are not O(N²)
    this.capacity.join(w);
  }

  protected workerRemoved(
    id: WorkerId,
    running: readonly string[] | undefined,
    reason: 'crashed' | 'closed',
  ): void {
    const w = this.workers.get(id);
    if (w === undefined) return;
    this.workers.delete(id);
    this.workerList.splice(this.workerList.indexOf(w), 1);
    this.capacity.leave(w);
    if (this.previousRootWorker === w) this.previousRootWorker = undefined;
    w.freeing = null;
    // Its own tasks only (the indexes), in the order they were created, as a scan would find them.
    const processing = [...w.processing.values()].sort(byRank);
    const held = [...w.held.values()].sort(byRank);
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
      removeHolder(t, w);
      if (t.holders?.length === 0 && t.state === 'memory') this.lost(t);
    }
    this.drainReleaseChecks();
  }

  protected taskMissingData(
    key: string,
    workerId: WorkerId,
    missing: readonly { key: string; from: WorkerId }[],
    forged: readonly { key: string; from: WorkerId }[] = [],
  ): void {
    const t = this.tasks.get(key);
    const w = this.workers.get(workerId);
    for (const f of forged) this.dataForged(f.key, f.from);
    for (const m of missing) {
      const dep = this.tasks.get(m.key);
      const holder = this.workers.get(m.from);
      if (dep === undefined || holder === undefined || dep.holders === null) continue;
      removeHolder(dep, holder);
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
}

function byRank(a: TaskRecord, b: TaskRecord): number {
  return a.rank - b.rank;
}
