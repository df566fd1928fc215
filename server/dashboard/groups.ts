/**
 * Progress by task group for the dashboards: runs counted as they are reported (done, erred),
 * and tasks counted by state from the engine's records (waiting, processing, in memory).
 *
 * Policy: the per-run cost is one map lookup and an increment. Counting the engine's records is
 * a scan of every task, so it happens only when something changed, at most every
 * MIN_SCAN_INTERVAL_MS, and never more often than SCAN_COST_RATIO times its own duration: with a
 * million tasks a scan takes tens of milliseconds and runs every few seconds; the scans never
 * take more than 1% of the scheduler's time whatever the graph size.
 *
 * Invariants: the book of groups is bounded (MAX_BOOK; groups with no live task go first).
 */
import type { Engine } from '../../src/engine/engine.js';
import type { TaskGroup, TaskState } from '../../src/engine/types.js';
import type { GroupProgress } from '../../src/wire/dashboard-protocol.js';

/** Runs counted for one group since the scheduler started following. */
interface Tally {
  done: number;
  erred: number;
}

/** Tasks of one group in each state now. */
interface Live {
  waiting: number;
  processing: number;
  memory: number;
  erred: number;
}

const SCAN_COST_RATIO = 100;
/** Progress bars need no more than a few updates per second. */
const MIN_SCAN_INTERVAL_MS = 250;
const MAX_BOOK = 10_000;

/** Progress of the task groups. */
export class GroupBook {
  /** Every group seen, in the order first seen. */
  private readonly tallies = new Map<string, Tally>();
  private live = new Map<string, Live>();
  private liveStates: Partial<Record<TaskState, number>> = {};
  private nextScan = 0;
  /** The engine changed since the last count. */
  private stale = true;

  private lastName = '';
  private lastTally: Tally | undefined;

  /** Counts a reported run of the group. */
  count(group: string, failed: boolean): void {
    let tally = this.lastTally;
    if (group !== this.lastName || tally === undefined) {
      tally = this.tallies.get(group) ?? this.add(group);
      this.lastName = group;
      this.lastTally = tally;
    }
    if (failed) tally.erred++;
    else tally.done++;
  }

  /** Starts over from the engine's records: held results count as done, failures as erred. */
  seed(engine: Engine, now: number): void {
    this.tallies.clear();
    this.lastTally = undefined;
    this.nextScan = 0;
    this.stale = true;
    this.refresh(engine, now);
    for (const [name, live] of this.live) {
      const tally = this.tallies.get(name) ?? this.add(name);
      tally.done = live.memory;
      tally.erred = live.erred;
    }
  }

  /** Notes that the engine's tasks changed (the next due refresh counts them again). */
  markChanged(): void {
    this.stale = true;
  }

  /** Whether a count is waiting to be made and may be made now. */
  isDue(now: number): boolean {
    return this.stale && now >= this.nextScan;
  }

  /** Recounts tasks by group and state if they changed, unless the last count is too recent. */
  refresh(engine: Engine, now: number): void {
    if (!this.isDue(now)) return;
    this.stale = false;
    const began = performance.now();
    const live = new Map<string, Live>();
    const states: Partial<Record<TaskState, number>> = {};
    let lastGroup: TaskGroup | undefined;
    let counts: Live | undefined;
    for (const t of engine.tasks.values()) {
      states[t.state] = (states[t.state] ?? 0) + 1;
      // Tasks of one group mostly come in runs: skip the lookup then.
      if (t.group !== lastGroup) {
        lastGroup = t.group;
        counts = live.get(t.group.name);
        if (counts === undefined) {
          counts = { waiting: 0, processing: 0, memory: 0, erred: 0 };
          live.set(t.group.name, counts);
          if (!this.tallies.has(t.group.name)) this.add(t.group.name);
        }
      }
      const c = counts as Live;
      if (t.state === 'waiting' || t.state === 'queued') c.waiting++;
      else if (t.state === 'processing') c.processing++;
      else if (t.state === 'memory') c.memory++;
      else if (t.state === 'erred') c.erred++;
    }
    this.live = live;
    this.liveStates = states;
    this.nextScan =
      now + Math.max(MIN_SCAN_INTERVAL_MS, SCAN_COST_RATIO * (performance.now() - began));
  }

  /** Tasks known to the engine by state, as of the last count. */
  states(): Partial<Record<TaskState, number>> {
    return this.liveStates;
  }

  /**
   * The groups' progress, at most `max` of them (those with tasks to do first, then the
   * largest), in the order they were first seen; and how many were left out.
   */
  list(max: number): { groups: GroupProgress[]; omitted: number } {
    let groups: GroupProgress[] = [];
    for (const [name, tally] of this.tallies) {
      const live = this.live.get(name);
      const erred = Math.max(tally.erred, live?.erred ?? 0);
      const processing = live?.processing ?? 0;
      const waiting = live?.waiting ?? 0;
      const done = Math.max(tally.done, live?.memory ?? 0);
      groups.push({
        name,
        total: done + erred + processing + waiting,
        done,
        memory: live?.memory ?? 0,
        processing,
        waiting,
        erred,
      });
    }
    const omitted = Math.max(0, groups.length - max);
    if (omitted > 0) {
      const rank = new Map(
        [...groups]
          .sort(
            (a, b) => b.processing + b.waiting - (a.processing + a.waiting) || b.total - a.total,
          )
          .slice(0, max)
          .map((g, i) => [g, i]),
      );
      groups = groups.filter((g) => rank.has(g));
    }
    return { groups, omitted };
  }

  private add(name: string): Tally {
    if (this.tallies.size >= MAX_BOOK) this.trim();
    const tally = { done: 0, erred: 0 };
    this.tallies.set(name, tally);
    return tally;
  }

  /** Forgets the oldest groups with no live task, down to half the bound. */
  private trim(): void {
    for (const name of this.tallies.keys()) {
      if (this.tallies.size <= MAX_BOOK / 2) return;
      if (!this.live.has(name)) this.tallies.delete(name);
      this.lastTally = undefined;
    }
  }
}
