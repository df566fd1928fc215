/**
 * The memory thresholds of workers (Dask's distributed.worker.memory.*): options checked with
 * errors that name them, the budget of held results, the pause and terminate verdicts, the
 * monitor that acts on them, and the engine giving no task to a paused worker.
 */
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { validateState } from '../../src/engine/validate.js';
import type { Instruction } from '../../src/engine/types.js';
import { viewGraph } from '../../src/graph/analyze.js';
import { prepareGraph } from '../../src/graph/prepare.js';
import { task } from '../../src/graph/spec.js';
import { isBaskError } from '../../src/errors.js';
import {
  DEFAULT_MEMORY_FRACTIONS,
  judgeMemory,
  managedBudget,
  parseMemoryFraction,
  resolveMemoryFractions,
} from '../../src/worker/memory-thresholds.js';
import { MemoryMonitor } from '../../server/worker/memory-monitor.js';

const MiB = 2 ** 20;
const limit = 100 * MiB;

function invalid(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (isBaskError(error) && error.code === 'ERR_INVALID_ARGUMENT') return error.message;
    throw error;
  }
  throw new Error('expected ERR_INVALID_ARGUMENT');
}

describe('memory thresholds: options', () => {
  it("defaults to Dask's 0.6 / 0.7 / 0.8 / 0.95", () => {
    expect(resolveMemoryFractions()).toEqual({
      target: 0.6,
      spill: 0.7,
      pause: 0.8,
      terminate: 0.95,
    });
  });

  it('takes fractions and false, and refuses anything else naming the threshold', () => {
    expect(resolveMemoryFractions({ pause: 0.5, terminate: false })).toEqual({
      ...DEFAULT_MEMORY_FRACTIONS,
      pause: 0.5,
      terminate: false,
    });
    expect(invalid(() => resolveMemoryFractions({ target: 1.5 }, 'joinCluster'))).toMatch(
      /joinCluster: memory target .* got 1.5/,
    );
    expect(invalid(() => resolveMemoryFractions({ spill: 0 }))).toMatch(/memory spill/);
    expect(invalid(() => resolveMemoryFractions({ pause: 'high' }))).toMatch(/memory pause/);
  });

  it('parses command-line text: 0.7, 70%, false', () => {
    expect(parseMemoryFraction('memory-spill', '0.7')).toBe(0.7);
    expect(parseMemoryFraction('memory-spill', '70%')).toBe(0.7);
    expect(parseMemoryFraction('memory-pause', 'false')).toBe(false);
    expect(parseMemoryFraction('memory-pause', 'off')).toBe(false);
    expect(invalid(() => parseMemoryFraction('memory-pause', '2'))).toMatch(
      /--memory-pause: expected a fraction .* got '2'/,
    );
    expect(invalid(() => parseMemoryFraction('memory-target', ''))).toMatch(/--memory-target/);
    expect(invalid(() => parseMemoryFraction('memory-target', '-0.1'))).toMatch(/got '-0.1'/);
  });
});

describe('memory thresholds: budget and verdicts', () => {
  const f = DEFAULT_MEMORY_FRACTIONS;

  it('lets held results fill target x limit less what else the process uses', () => {
    expect(managedBudget(limit, f)).toBe(60 * MiB);
    expect(managedBudget(limit, f, { process: 50 * MiB, managed: 20 * MiB })).toBe(30 * MiB);
    expect(managedBudget(limit, f, { process: 80 * MiB, managed: 0 })).toBe(0);
  });

  it('past spill, takes what is over target out of held results', () => {
    // 75 MiB resident, 40 of it held: 15 MiB over target must go, and 35 MiB other memory
    // leaves 25 MiB for held results anyway.
    expect(managedBudget(limit, f, { process: 75 * MiB, managed: 40 * MiB })).toBe(25 * MiB);
    const spillOnly = { ...f, target: false as const };
    expect(managedBudget(limit, spillOnly, { process: 75 * MiB, managed: 40 * MiB })).toBe(
      35 * MiB,
    );
    expect(managedBudget(limit, spillOnly, { process: 65 * MiB, managed: 40 * MiB })).toBe(
      Infinity,
    );
  });

  it('never spills without a limit or with both spill thresholds off', () => {
    expect(managedBudget(0, f, { process: 1e12, managed: 1e12 })).toBe(Infinity);
    expect(managedBudget(Infinity, f)).toBe(Infinity);
    expect(managedBudget(limit, { ...f, target: false, spill: false })).toBe(Infinity);
  });

  it('pauses past pause, terminates past terminate, on process memory when known', () => {
    expect(judgeMemory(limit, f, { process: 79 * MiB, managed: 0 })).toEqual({
      paused: false,
      terminate: false,
    });
    expect(judgeMemory(limit, f, { process: 81 * MiB, managed: 0 })).toEqual({
      paused: true,
      terminate: false,
    });
    expect(judgeMemory(limit, f, { process: 96 * MiB, managed: 0 })).toEqual({
      paused: true,
      terminate: true,
    });
    // A tab has no process memory: its held results count.
    expect(judgeMemory(limit, f, { managed: 81 * MiB }).paused).toBe(true);
    expect(
      judgeMemory(limit, { ...f, pause: false, terminate: false }, { process: 1e12, managed: 0 }),
    ).toEqual({ paused: false, terminate: false });
  });
});

describe('memory monitor', () => {
  function monitor(readings: number[]) {
    const events: string[] = [];
    let i = 0;
    const m = new MemoryMonitor(limit, DEFAULT_MEMORY_FRACTIONS, {
      managed: () => 10 * MiB,
      spill: () => events.push('spill'),
      paused: (p) => events.push(p ? 'pause' : 'resume'),
      terminate: () => events.push('terminate'),
      measure: () => (readings[Math.min(i++, readings.length - 1)] as number) * MiB,
    });
    return { m, events };
  }

  it('reports a pause once, holds batches back meanwhile, and resumes under the threshold', async () => {
    const { m, events } = monitor([50, 85, 90, 70]);
    m.sample();
    expect(m.whilePaused()).toBeUndefined();
    m.sample();
    m.sample();
    const held = m.whilePaused();
    expect(held).toBeInstanceOf(Promise);
    m.sample();
    await held;
    expect(events.filter((e) => e !== 'spill')).toEqual(['pause', 'resume']);
    expect(m.isPaused).toBe(false);
    expect(m.budget()).toBe(0);
    expect(m.peak).toBe(90 * MiB);
  });

  it('asks for a restart once past terminate', () => {
    const { m, events } = monitor([96, 97, 98]);
    m.sample();
    m.sample();
    m.sample();
    expect(events.filter((e) => e === 'terminate')).toEqual(['terminate']);
    expect(m.isTerminating).toBe(true);
  });

  it('lets what waits for a resume go on when it stops', async () => {
    const { m } = monitor([85]);
    m.sample();
    const held = m.whilePaused();
    m.stop();
    await held;
    expect(m.isPaused).toBe(false);
  });
});

describe('engine: a paused worker gets no new tasks', () => {
  const fn = (..._args: unknown[]): number => 0;

  function executes(out: Instruction[]): string[] {
    return out.flatMap((i) => (i.type === 'execute' ? [`${i.key}@${i.worker}`] : []));
  }

  it('places nothing on a paused worker and places the waiting tasks when it resumes', () => {
    const engine = new Engine({ validate: validateState });
    engine.handle({ type: 'worker-added', worker: 'a', nthreads: 1 });
    engine.handle({ type: 'worker-paused', worker: 'a', paused: true });
    const graph = { x: task(fn, 1), y: task(fn, 2) };
    const batch = prepareGraph(viewGraph(graph), ['x', 'y']);
    const sent = engine.handle({ type: 'graph-submitted', client: 'c', batch, wanted: ['x', 'y'] });
    expect(executes(sent)).toEqual([]);
    expect(engine.countStates()['queued']).toBe(2);
    const resumed = engine.handle({ type: 'worker-paused', worker: 'a', paused: false });
    expect(executes(resumed)).toContain('x@a');
  });

  it('sends new tasks to the other worker while one is paused', () => {
    const engine = new Engine({ validate: validateState });
    engine.handle({ type: 'worker-added', worker: 'a', nthreads: 1 });
    engine.handle({ type: 'worker-added', worker: 'b', nthreads: 1 });
    engine.handle({ type: 'worker-paused', worker: 'a', paused: true });
    const graph = { x: task(fn, 1), y: task(fn, 2), z: task(fn, 3) };
    const batch = prepareGraph(viewGraph(graph), ['x', 'y', 'z']);
    const sent = engine.handle({
      type: 'graph-submitted',
      client: 'c',
      batch,
      wanted: ['x', 'y', 'z'],
    });
    expect(executes(sent).every((e) => e.endsWith('@b'))).toBe(true);
    expect(executes(sent).length).toBeGreaterThan(0);
  });
});
