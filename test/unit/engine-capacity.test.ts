/**
 * The engine's running totals (capacity.ts): after a random sequence of joins, leaves, pauses,
 * submissions, finished and failed tasks, the totals match a recount (validateState checks
 * them after every event), and placing a root task from them picks the same worker as the
 * full scan over every worker does.
 */
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { fairShare, pickWorker } from '../../src/engine/policy.js';
import { TaskGroup, TaskRecord, type EngineEvent } from '../../src/engine/types.js';
import { validateState } from '../../src/engine/validate.js';
import { viewGraph } from '../../src/graph/analyze.js';
import { prepareGraph } from '../../src/graph/prepare.js';
import { ref, task } from '../../src/graph/spec.js';

const f = (..._args: unknown[]): number => 0;

/** A small deterministic generator (mulberry32), so a failure replays. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Drives an engine with random events; `running` is what each worker was sent, as sent. */
class RandomRun {
  readonly engine = new Engine({ validate: validateState });
  private readonly running = new Map<string, string>();
  private workers: string[] = [];
  private nextWorker = 0;
  private nextGraph = 0;

  constructor(private readonly rand: () => number) {}

  step(): void {
    const r = this.rand();
    if (r < 0.1 || this.workers.length === 0) this.join();
    else if (r < 0.15) this.leave();
    else if (r < 0.22) this.pause();
    else if (r < 0.37) this.submit();
    else this.finish(r < 0.42);
  }

  /** Where a probe root task goes, from the totals and by a scan of every worker. */
  probe(options: boolean): [string | undefined, string | undefined] {
    const engine = this.engine;
    const workers = [...engine.workers.values()];
    const t = new TaskRecord(`probe-${this.nextGraph}`, null, [], 0, new TaskGroup('probe'));
    if (options && workers.length > 0) {
      const named = workers[Math.floor(this.rand() * workers.length)]?.id as string;
      t.options = { workers: [named] };
    }
    const c = engine.capacity;
    const share = fairShare(engine.queue.size, c.processing, c.threads);
    const policy = engine.policy;
    const fast = pickWorker(t, workers, undefined, policy, share, c);
    const scan = pickWorker(t, workers, undefined, policy, share);
    return [fast?.id, scan?.id];
  }

  private handle(event: EngineEvent): void {
    for (const ins of this.engine.handle(event)) {
      if (ins.type === 'execute') this.running.set(ins.key, ins.worker);
    }
  }

  private join(): void {
    const id = `w${this.nextWorker++}`;
    this.workers.push(id);
    const nthreads = 1 + Math.floor(this.rand() * 3);
    const host = `h${Math.floor(this.rand() * 3)}`;
    this.handle({ type: 'worker-added', worker: id, nthreads, host });
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rand() * items.length)] as T;
  }

  private leave(): void {
    const id = this.pick(this.workers);
    this.workers = this.workers.filter((w) => w !== id);
    const reason = this.rand() < 0.5 ? 'crashed' : 'closed';
    this.handle({ type: 'worker-removed', worker: id, reason });
  }

  private pause(): void {
    const paused = this.rand() < 0.6;
    this.handle({ type: 'worker-paused', worker: this.pick(this.workers), paused });
  }

  /** Roots and chains on them, in groups whose measured durations differ (tiny to long). */
  private submit(): void {
    const g = this.nextGraph++;
    const graph: Record<string, unknown> = {};
    const roots = 1 + Math.floor(this.rand() * 12);
    for (let i = 0; i < roots; i++) {
      graph[`r${g % 3}-${g}-${i}`] = task(f, i);
      if (this.rand() < 0.3) graph[`d-${g}-${i}`] = task(f, ref(`r${g % 3}-${g}-${i}`));
    }
    const keys = Object.keys(graph);
    const batch = prepareGraph(viewGraph(graph), keys);
    this.handle({ type: 'graph-submitted', client: 'c', batch, wanted: keys });
  }

  private finish(failed: boolean): void {
    const sent = [...this.running];
    if (sent.length === 0) return;
    const [key, worker] = this.pick(sent);
    this.running.delete(key);
    if (!this.workers.includes(worker)) return;
    const duration = [1e-5, 1e-3, 0.2][Math.floor(this.rand() * 3)] as number;
    if (failed) this.handle({ type: 'task-erred', key, worker, error: new Error('no') });
    else this.handle({ type: 'task-finished', key, worker, nbytes: 8, duration });
  }
}

describe('engine running totals', () => {
  it('match a recount after random joins, leaves, pauses and tasks', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const run = new RandomRun(random(seed));
      // validateState (after every event) recounts threads, runs, open and idle workers.
      for (let i = 0; i < 300; i++) run.step();
      const c = run.engine.capacity;
      const workers = [...run.engine.workers.values()];
      expect(c.threads).toBe(workers.reduce((n, w) => n + w.nthreads, 0));
      expect(c.processing).toBe(workers.reduce((n, w) => n + w.nprocessing, 0));
    }
  });

  it('place a root task where a scan of every worker would', () => {
    let compared = 0;
    for (let seed = 100; seed <= 120; seed++) {
      const run = new RandomRun(random(seed));
      for (let i = 0; i < 300; i++) {
        run.step();
        for (const options of [false, true]) {
          const [fast, scan] = run.probe(options);
          expect(fast).toBe(scan);
          if (scan !== undefined) compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(100);
  });
});
