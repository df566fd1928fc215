/**
 * The scheduler's recent task runs for the dashboards' task stream: a ring buffer of fixed
 * capacity kept in columns (typed arrays, and arrays of strings that already exist: the key,
 * the group name, the thread id), so recording a run allocates nothing.
 *
 *   seq:     first ............................ next-1   (runs still held)
 *   slot:    seq % capacity
 *
 * Runs are numbered in the order they were recorded. A reader (one per dashboard) keeps the
 * number of the next run it wants and reads from there, at most a given number (an even sample
 * when there are more); what it does not get (overwritten, or left out of the sample) is
 * counted as skipped. Nothing is ever queued per reader.
 */
import type { TaskRuns } from '../../src/wire/dashboard-protocol.js';

/** A fixed-capacity ring of task runs. */
export class RunRing {
  /** The number the next recorded run gets (runs recorded so far). */
  next = 0;
  private readonly keys: string[];
  private readonly groups: string[];
  private readonly workers: string[];
  private readonly start: Float64Array;
  private readonly end: Float64Array;
  private readonly failed: Uint8Array;

  constructor(readonly capacity: number) {
    this.keys = new Array<string>(capacity).fill('');
    this.groups = new Array<string>(capacity).fill('');
    this.workers = new Array<string>(capacity).fill('');
    this.start = new Float64Array(capacity);
    this.end = new Float64Array(capacity);
    this.failed = new Uint8Array(capacity);
  }

  /** The number of the oldest run still held. */
  get first(): number {
    return Math.max(0, this.next - this.capacity);
  }

  /** Records one run (overwriting the oldest when full). */
  push(
    key: string,
    group: string,
    worker: string,
    start: number,
    end: number,
    failed: boolean,
  ): void {
    const slot = this.next % this.capacity;
    this.keys[slot] = key;
    this.groups[slot] = group;
    this.workers[slot] = worker;
    this.start[slot] = start;
    this.end[slot] = end;
    this.failed[slot] = failed ? 1 : 0;
    this.next++;
  }

  /**
   * The runs from number `from` on, in columns (group and thread names numbered per result);
   * when there are more than `max`, `max` of them spread evenly and ending with the newest (a
   * thinned stream still shows where the time went). Runs not included, because there were too
   * many or the ring no longer holds them, are counted in `skipped`.
   */
  read(from: number, max: number): TaskRuns {
    const begin = Math.max(from, this.first);
    const available = Math.max(0, this.next - begin);
    const count = Math.min(max, available);
    const runs: TaskRuns = {
      first: begin,
      skipped: begin - Math.min(from, begin) + (available - count),
      keys: new Array<string>(count),
      group: new Uint32Array(count),
      groupNames: [],
      worker: new Uint32Array(count),
      workerNames: [],
      start: new Float64Array(count),
      end: new Float64Array(count),
      failed: new Uint8Array(count),
    };
    const groups = new Numbering(runs.groupNames);
    const workers = new Numbering(runs.workerNames);
    const stride = count === 0 ? 1 : available / count;
    const last = begin + available - 1;
    for (let i = 0; i < count; i++) {
      const slot = (last - Math.floor((count - 1 - i) * stride)) % this.capacity;
      runs.keys[i] = this.keys[slot] as string;
      runs.group[i] = groups.of(this.groups[slot] as string);
      runs.worker[i] = workers.of(this.workers[slot] as string);
      runs.start[i] = this.start[slot] as number;
      runs.end[i] = this.end[slot] as number;
      runs.failed[i] = this.failed[slot] as number;
    }
    return runs;
  }
}

/** Numbers names in order of first appearance (runs of one name skip the lookup). */
class Numbering {
  private readonly ids = new Map<string, number>();
  private last = '';
  private lastId = -1;

  constructor(private readonly names: string[]) {}

  of(name: string): number {
    if (name === this.last) return this.lastId;
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.ids.set(name, id);
      this.names.push(name);
    }
    this.last = name;
    this.lastId = id;
    return id;
  }
}
