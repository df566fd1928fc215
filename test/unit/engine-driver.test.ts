/**
 * The driver shell (driver.ts) with a fake engine and a recording adapter, and the scatter
 * placement policy alone: no workers, no sockets.
 */
import { describe, expect, it } from 'vitest';
import {
  Driver,
  groupByHolder,
  type DriverAdapter,
  type DrivenEngine,
} from '../../src/engine/driver.js';
import { Engine } from '../../src/engine/engine.js';
import { placeScatter } from '../../src/engine/policy.js';
import type { EngineEvent, Instruction } from '../../src/engine/types.js';
import { BaskError, serializeError } from '../../src/errors.js';

/** An engine that answers each event with the instructions `script` gives for it. */
function fakeEngine(script: (e: EngineEvent) => Instruction[]): DrivenEngine & {
  steps: EngineEvent[][];
} {
  const steps: EngineEvent[][] = [];
  return {
    steps,
    handleMany(events) {
      steps.push([...events]);
      return events.flatMap(script);
    },
  };
}

function recorder(): DriverAdapter & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    execute: (ins) => log.push(`execute ${ins.key}@${ins.worker}`),
    freeKeys: (ins) => log.push(`free ${ins.keys.join(',')}@${ins.worker}`),
    cancelTask: (ins) => log.push(`cancel ${ins.key}@${ins.worker}`),
    report: (ins) => log.push(`report ${ins.key} ${ins.state}`),
    quarantine: (ins) => log.push(`quarantine ${ins.host}`),
    stepped: (ins, events) => log.push(`stepped ${ins.length}/${events.length}`),
    drained: () => log.push('drained'),
  };
}

const released = (key: string): EngineEvent => ({
  type: 'keys-released',
  client: 'c',
  keys: [key],
});

describe('Driver', () => {
  it('dispatches every instruction kind to the adapter, then says it drained', () => {
    const engine = fakeEngine(() => [
      {
        type: 'execute',
        worker: 'w',
        key: 'a',
        spec: null,
        fetch: [],
        report: false,
        lastUse: false,
      },
      { type: 'free-keys', worker: 'w', keys: ['b'] },
      { type: 'cancel-task', worker: 'w', key: 'c' },
      { type: 'report', client: 'x', key: 'a', state: 'lost' },
      { type: 'quarantine', host: 'h', workers: ['w'], key: 'a', reason: 'r' },
    ]);
    const adapter = recorder();
    new Driver(engine, adapter).submit([released('a')]);
    expect(adapter.log).toEqual([
      'execute a@w',
      'free b@w',
      'cancel c@w',
      'report a lost',
      'quarantine h',
      'stepped 5/1',
      'drained',
    ]);
  });

  it('takes events submitted during a drain in the same drain, in order', () => {
    const adapter = recorder();
    const engine = fakeEngine((e) =>
      e.type === 'keys-released' && e.keys[0] === 'first'
        ? [{ type: 'report', client: 'c', key: 'first', state: 'lost' }]
        : [],
    );
    const driver = new Driver(engine, {
      ...adapter,
      report: (ins) => {
        adapter.report(ins);
        driver.submit([released('second')]);
        expect(driver.isDraining).toBe(true);
      },
    });
    driver.submit([released('first')]);
    expect(
      engine.steps.map((s) => s.map((e) => (e.type === 'keys-released' ? e.keys[0] : e.type))),
    ).toEqual([['first'], ['second']]);
    expect(adapter.log.filter((l) => l === 'drained')).toHaveLength(1);
    expect(driver.isDraining).toBe(false);
  });

  it('ends a drain that throws, ready for the next', () => {
    const engine = fakeEngine(() => [{ type: 'report', client: 'c', key: 'k', state: 'lost' }]);
    let fail = true;
    const adapter = recorder();
    const driver = new Driver(engine, {
      ...adapter,
      report: () => {
        if (fail) throw new Error('boom');
      },
    });
    expect(() => driver.submit([released('k')])).toThrow('boom');
    fail = false;
    driver.submit([released('k')]);
    expect(adapter.log).toContain('drained');
  });

  it('turns results into events: the real error, missing data, finished with hash and value', () => {
    const engine = fakeEngine(() => []);
    const driver = new Driver(engine, recorder());
    const error = serializeError(new BaskError('ERR_TIMEOUT', 'late', { key: 'e' }));
    driver.queueResults('w', [
      { key: 'e', start: 0, end: 2000, error },
      { key: 'm', start: 0, end: 0, missing: [{ key: 'x', from: 'v' }] },
      { key: 'f', start: 0, end: 1000, nbytes: 8, hash: 'h', hasValue: true, value: 42 },
      { key: 'g', start: 0, end: 0 },
    ]);
    let seen: unknown;
    let other: unknown;
    // Values live for the drain that reports them: read them from inside one.
    const reading = new Driver(
      fakeEngine(() => [{ type: 'report', client: 'c', key: 'f', state: 'lost' }]),
      {
        ...recorder(),
        report: () => {
          seen = reading.sentValue('f', 'w')?.value;
          other = reading.sentValue('f', 'v');
        },
      },
    );
    reading.queueResults('w', [{ key: 'f', start: 0, end: 0, hasValue: true, value: 42 }]);
    reading.submit([]);
    expect(seen).toBe(42);
    expect(other).toBeUndefined();
    expect(reading.sentValue('f', 'w')).toBeUndefined();

    driver.submit([]);
    const [erred, missing, finished, plain] = engine.steps[0] as EngineEvent[];
    expect(erred).toMatchObject({ type: 'task-erred', key: 'e', worker: 'w', duration: 2 });
    const real = (erred as { error: unknown }).error;
    expect(real).toBeInstanceOf(BaskError);
    expect(real).toMatchObject({ code: 'ERR_TIMEOUT', key: 'e', message: 'late' });
    expect(missing).toEqual({
      type: 'task-missing-data',
      key: 'm',
      worker: 'w',
      missing: [{ key: 'x', from: 'v' }],
    });
    expect(finished).toEqual({
      type: 'task-finished',
      key: 'f',
      worker: 'w',
      nbytes: 8,
      duration: 1,
      hash: 'h',
    });
    expect(plain).toEqual({ type: 'task-finished', key: 'g', worker: 'w', nbytes: 0, duration: 0 });
  });

  it("finds each report's value in any order, twice for two clients, from its own worker", () => {
    const n = 40;
    const results = Array.from({ length: n }, (_, i) => ({
      key: `k${i}`,
      start: 0,
      end: 0,
      hasValue: true,
      value: i,
    }));
    // The same key from another worker (a replica's result): only the holder's is its value.
    const replica = { key: 'k3', start: 0, end: 0, hasValue: true, value: 'replica' };
    // Reported in order, each twice (two clients), then backwards, then far ones.
    const order = [
      ...results.flatMap((r) => [r.key, r.key]),
      ...results.map((r) => r.key).reverse(),
      'k0',
      'k39',
      'k20',
    ];
    const seen: unknown[] = [];
    const driver = new Driver(
      // One step takes every result; its reports come with the first event.
      fakeEngine((event) =>
        event.type === 'task-finished' && event.key === 'k0' && event.worker === 'w'
          ? order.map((key) => ({ type: 'report', client: 'c', key, state: 'lost' }) as const)
          : [],
      ),
      {
        ...recorder(),
        report: (ins) => {
          seen.push(driver.sentValue(ins.key, 'w')?.value);
          if (ins.key === 'k3') seen.push(driver.sentValue('k3', 'v')?.value);
        },
      },
    );
    driver.queueResults('w', results.slice(0, 20));
    driver.queueResults('v', [replica]);
    driver.queueResults('w', results.slice(20));
    driver.submit([]);
    const value = (key: string): number => Number(key.slice(1));
    const expected = order.flatMap((key) => (key === 'k3' ? [3, 'replica'] : [value(key)]));
    expect(seen).toEqual(expected);
    expect(driver.sentValue('k1', 'w')).toBeUndefined();
  });
});

describe('groupByHolder', () => {
  it('groups keys by first live holder and lists the rest as missing', () => {
    const engine = new Engine();
    engine.handleMany([
      { type: 'worker-added', worker: 'a', nthreads: 1 },
      { type: 'worker-added', worker: 'b', nthreads: 1 },
      { type: 'data-scattered', client: 'c', key: 'x', worker: 'a', nbytes: 1 },
      { type: 'data-scattered', client: 'c', key: 'y', worker: 'b', nbytes: 1 },
      { type: 'data-scattered', client: 'c', key: 'z', worker: 'a', nbytes: 1 },
    ]);
    const { groups, missing } = groupByHolder(
      engine.tasks,
      ['x', 'y', 'nope', 'z'],
      (w) => w === 'a',
    );
    expect([...groups]).toEqual([['a', ['x', 'z']]]);
    expect(missing).toEqual(['y', 'nope']);
  });
});

describe('placeScatter', () => {
  it('goes round robin from the cursor and returns where it stopped', () => {
    const { targets, next } = placeScatter(4, ['a', 'b', 'c'], false, 2);
    expect(targets).toEqual([['c'], ['a'], ['b'], ['c']]);
    expect(next).toBe(6);
  });

  it('gives every worker each value when broadcasting, cursor unchanged', () => {
    const { targets, next } = placeScatter(2, ['a', 'b'], true, 5);
    expect(targets).toEqual([
      ['a', 'b'],
      ['a', 'b'],
    ]);
    expect(next).toBe(5);
  });

  it('places nothing for no values', () => {
    expect(placeScatter(0, ['a'], false, 0)).toEqual({ targets: [], next: 0 });
  });
});
