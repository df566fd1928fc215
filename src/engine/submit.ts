/**
 * The engine's submission layer: a graph batch becomes records (checked first: a refused
 * batch leaves none behind), the client's wants, and the tasks needed to make them; and
 * clients' wants come and go (`want`, `unwant`). `BaseEngine` (base.ts) turns events into
 * these steps.
 *
 * Policy: a batch lists tasks in priority order with its dependencies as CSR rows (prepare.ts);
 * records are made in one pass, and the wanted ones are taken from the batch's `outputs` where
 * they match, so that a submission costs no lookup by key per task on a fresh engine.
 */
import { BaskError } from '../errors.js';
import type { GraphBatch } from '../graph/prepare.js';
import { FaultCore } from './faults.js';
import { NO_TASKS, type ClientWants } from './records.js';
import { TaskRecord, type ClientId, type GraphSubmitted, type TaskOptions } from './types.js';

/** Submissions and wants, on top of the transitions; see `BaseEngine` for the events. */
export abstract class SubmitCore extends FaultCore {
  /** Refuses a batch whose `verify` can never be satisfied (only called when replicating). */
  protected abstract checkVerify(event: GraphSubmitted): void;

  /** The shared list of one wanter, for the client that wanted last. */
  private sole: readonly ClientId[] = [];

  private soleWanter(client: ClientId): readonly ClientId[] {
    if (this.sole[0] !== client) this.sole = Object.freeze([client]);
    return this.sole;
  }

  protected graphSubmitted(event: GraphSubmitted): void {
    const { batch, client } = event;
    if (this.replicate) this.checkVerify(event);
    const base = this.nextRank;
    this.nextRank += batch.keys.length;
    const positions = outputPositions(batch, event.wanted);
    const records = this.createRecords(batch, base, event, positions !== undefined);
    const wanted = this.wantedRecords(event.wanted, records, positions);
    for (let i = 0; i < wanted.length; i++) this.want(client, wanted[i] as TaskRecord);
    // Everything in a batch is needed by what it wants (the submitter culled it).
    for (let i = 0; i < records.length; i++) {
      const t = records[i] as TaskRecord;
      if (t.state === 'released') this.makeNeeded(t);
    }
    for (let i = 0; i < wanted.length; i++) {
      const t = wanted[i] as TaskRecord;
      if (t.state === 'memory') this.report(client, t);
      else if (t.state === 'erred') this.reportError(client, t);
    }
    this.drainReleaseChecks();
  }

  /** The records of the wanted keys, in order (the batch's outputs where they match). */
  private wantedRecords(
    keys: readonly string[],
    records: readonly TaskRecord[],
    positions: Int32Array | undefined,
  ): TaskRecord[] {
    const wanted = new Array<TaskRecord>(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const t = positions !== undefined ? records[positions[i] as number] : this.tasks.get(key);
      if (t === undefined)
        throw new BaskError('ERR_MISSING_KEY', `Wanted key '${key}' is not in the graph`, { key });
      wanted[i] = t;
    }
    return wanted;
  }

  private createRecords(
    batch: GraphBatch,
    base: number,
    event: GraphSubmitted,
    wantedInBatch: boolean,
  ): TaskRecord[] {
    const { keys, specs, depStart, depList, external } = batch;
    // Check every external key first: a refused batch must leave no records behind.
    const externals = external.map((key) => this.externalTask(key, keys[0] ?? key));
    const wanted = wantedInBatch ? NO_KEYS : event.wanted;
    let batchKeys: Set<string> | undefined;
    for (const key of wanted) {
      if (this.tasks.has(key)) continue;
      // A few wanted keys (a `get`, a `compute`) are found by a scan from the end, where the
      // outputs usually come in priority order: a set of every key costs a hash per task.
      if (wanted.length <= FEW_WANTED && keys.lastIndexOf(key) >= 0) continue;
      batchKeys ??= new Set(keys);
      if (!batchKeys.has(key)) {
        throw new BaskError('ERR_MISSING_KEY', `Wanted key '${key}' is not in the graph`, { key });
      }
    }
    const records = new Array<TaskRecord>(keys.length);
    // A batch's keys are unique: an empty engine needs no lookup for existing records.
    const fresh = this.tasks.size === 0;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const existing = fresh ? undefined : this.tasks.get(key);
      if (existing !== undefined) {
        records[i] = existing;
        continue;
      }
      const from = depStart[i] as number;
      const to = depStart[i + 1] as number;
      const deps = to === from ? NO_TASKS : new Array<TaskRecord>(to - from);
      for (let e = from; e < to; e++) {
        const d = depList[e] as number;
        deps[e - from] = d >= 0 ? (records[d] as TaskRecord) : (externals[-d - 1] as TaskRecord);
      }
      const t = new TaskRecord(key, specs[i], deps, base + i, this.groupOf(key));
      const options = event.options?.get(key) ?? event.defaults;
      if (options !== undefined) this.setOptions(t, options);
      for (let e = 0; e < deps.length; e++) {
        const dep = deps[e] as TaskRecord;
        if (dep.liveDependents++ === 0 && dep.dependents.length === 0) dep.dependents = [t];
        else dep.dependents.push(t);
      }
      this.tasks.set(key, t);
      records[i] = t;
    }
    return records;
  }

  private externalTask(key: string, neededBy: string): TaskRecord {
    const t = this.tasks.get(key);
    if (t === undefined) {
      throw new BaskError(
        'ERR_MISSING_KEY',
        `Key '${key}' (needed by '${neededBy}') is not known here`,
        { key },
      );
    }
    return t;
  }

  private setOptions(t: TaskRecord, options: TaskOptions): void {
    t.options = options;
    t.retriesLeft = options.retries ?? 0;
  }

  protected want(client: ClientId, t: TaskRecord): void {
    // Lists of wanters are shared and never changed in place (copy on write): the tasks one
    // client alone wants share one list, not one each.
    if (t.wantedBy === null) t.wantedBy = this.soleWanter(client);
    else if (!t.wantedBy.includes(client)) t.wantedBy = [...t.wantedBy, client];
    else return;
    let wants = this.clientWants.get(client);
    if (wants === undefined) this.clientWants.set(client, (wants = { list: [], live: 0 }));
    wants.list.push(t);
    wants.live++;
  }

  protected unwant(client: ClientId, t: TaskRecord | undefined): void {
    if (t === undefined || !this.dropWanter(client, t)) return;
    const wants = this.clientWants.get(client) as ClientWants;
    // Released tasks stay listed (no search) until they are most of the list.
    if (--wants.live * 2 < wants.list.length && wants.list.length > 64) {
      wants.list = [...new Set(wants.list.filter((w) => w.wantedBy?.includes(client) === true))];
    }
  }

  /** The client leaves: it wants nothing any more. */
  protected clientRemoved(client: ClientId): void {
    const wants = this.clientWants.get(client);
    if (wants !== undefined) {
      this.clientWants.delete(client);
      for (const t of wants.list) this.dropWanter(client, t);
    }
    this.drainReleaseChecks();
  }

  /** Takes `client` off the task's wanters; false when it was not one. */
  private dropWanter(client: ClientId, t: TaskRecord): boolean {
    const wantedBy = t.wantedBy;
    if (wantedBy === null || !wantedBy.includes(client)) return false;
    t.wantedBy = wantedBy.length === 1 ? null : wantedBy.filter((c) => c !== client);
    this.releaseChecks.push(t);
    return true;
  }
}

const NO_KEYS: readonly string[] = [];

/**
 * Where the wanted keys are in the batch, when it was prepared for exactly them (`outputs`):
 * then each is checked by one comparison, not looked up.
 */
function outputPositions(batch: GraphBatch, wanted: readonly string[]): Int32Array | undefined {
  const outputs = batch.outputs;
  if (outputs === undefined || outputs.length !== wanted.length) return undefined;
  const keys = batch.keys;
  for (let i = 0; i < wanted.length; i++)
    if (keys[outputs[i] as number] !== wanted[i]) return undefined;
  return outputs;
}

/** Up to this many wanted keys are looked up in a batch by scanning it, not by a set of it. */
const FEW_WANTED = 8;
