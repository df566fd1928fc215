/** Per-client caps: graph size and tasks in flight, settled by reports and releases. */
import { describe, expect, it } from 'vitest';
import { isBaskError } from '../../src/errors.js';
import { ClientLimits } from '../../server/scheduler/limits.js';

describe('ClientLimits', () => {
  it('admits everything and records nothing without caps', () => {
    const limits = new ClientLimits();
    expect(limits.admit('c', 1e9, ['k'])).toBeUndefined();
    expect(limits.inFlight('c')).toBe(0);
  });

  it('refuses a graph over --max-graph-size with ERR_LIMIT naming the flag', () => {
    const limits = new ClientLimits({ maxGraphSize: 10 });
    expect(limits.admit('c', 10, ['a'])).toBeUndefined();
    const error = limits.admit('c', 11, ['b']);
    expect(isBaskError(error, 'ERR_LIMIT')).toBe(true);
    expect(error?.message).toMatch(/11 tasks.*at most 10.*--max-graph-size/);
  });

  it('counts tasks in flight per client until every wanted key is settled', () => {
    const limits = new ClientLimits({ maxTasksInFlight: 100 });
    expect(limits.admit('c', 60, ['a', 'b'])).toBeUndefined();
    expect(limits.admit('d', 90, ['x'])).toBeUndefined(); // another client's own budget
    const refused = limits.admit('c', 41, ['z']);
    expect(isBaskError(refused, 'ERR_LIMIT')).toBe(true);
    expect(refused?.message).toMatch(
      /60 tasks in flight.*adds 41.*at most 100.*--max-tasks-in-flight/,
    );
    expect(limits.inFlight('c')).toBe(60); // the refusal recorded nothing
    limits.settle('c', ['a']);
    expect(limits.inFlight('c')).toBe(60);
    limits.settle('c', ['b']);
    expect(limits.inFlight('c')).toBe(0);
    expect(limits.admit('c', 100, ['z'])).toBeUndefined();
  });

  it('settles every submission waiting on a key, and forgets clients that leave', () => {
    const limits = new ClientLimits({ maxTasksInFlight: 100 });
    limits.admit('c', 30, ['k']);
    limits.admit('c', 20, ['k', 'm']);
    expect(limits.inFlight('c')).toBe(50);
    limits.settle('c', ['k']);
    expect(limits.inFlight('c')).toBe(20);
    limits.remove('c');
    expect(limits.inFlight('c')).toBe(0);
  });

  it('refuses caps that are not positive whole numbers', () => {
    expect(() => new ClientLimits({ maxGraphSize: 0 })).toThrow(/--max-graph-size/);
    expect(() => new ClientLimits({ maxTasksInFlight: 1.5 })).toThrow(/--max-tasks-in-flight/);
  });
});
