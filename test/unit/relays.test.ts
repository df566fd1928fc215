import { describe, expect, it } from 'vitest';
import { Relays } from '../../server/scheduler/relays.js';

describe('Relays', () => {
  it('lets only the process asked answer, once', () => {
    const relays = new Relays();
    relays.ask('c1', 7, 'c2', ['x']);
    expect(relays.answer('c1', 7, 'c3')).toBe(false);
    expect(relays.answer('c1', 7, 'c2')).toBe(true);
    expect(relays.answer('c1', 7, 'c2')).toBe(false);
  });

  it('settles what a leaving process was asked and forgets what it asked', () => {
    const relays = new Relays();
    relays.ask('c1', 1, 'c2', ['a']);
    relays.ask('c3', 2, 'c2', ['b', 'c']);
    relays.ask('c2', 3, 'c1', ['d']);
    const settled: [string, number, string[]][] = [];
    relays.dropProcess('c2', (requester, id, keys) => settled.push([requester, id, keys]));
    expect(settled).toEqual([
      ['c1', 1, ['a']],
      ['c3', 2, ['b', 'c']],
    ]);
    expect(relays.answer('c2', 3, 'c1')).toBe(false);
    expect(relays.answer('c1', 1, 'c2')).toBe(false);
  });
});
