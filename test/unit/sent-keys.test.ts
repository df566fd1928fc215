/** The in-flight queue of a pool worker's keys: answers in order, cancels out of order. */
import { describe, expect, it } from 'vitest';
import { SentKeys } from '../../src/local/sent-keys.js';

describe('SentKeys', () => {
  it('takes answers in the order the keys were sent', () => {
    const sent = new SentKeys();
    for (const k of ['a', 'b', 'c']) sent.add(k);
    expect(sent.first()).toBe('a');
    expect(sent.delete('a')).toBe(true);
    expect(sent.first()).toBe('b');
    expect(sent.has('c')).toBe(true);
    expect(sent.size).toBe(2);
    expect(sent.delete('a')).toBe(false);
    expect(sent.delete('b') && sent.delete('c')).toBe(true);
    expect(sent.size).toBe(0);
    expect(sent.first()).toBeUndefined();
    expect(sent.has('c')).toBe(false);
  });

  it('takes keys out of order (cancels) and keeps the oldest first', () => {
    const sent = new SentKeys();
    for (const k of ['a', 'b', 'c', 'd']) sent.add(k);
    expect(sent.delete('c')).toBe(true);
    expect(sent.delete('missing')).toBe(false);
    sent.add('e');
    expect(sent.delete('a')).toBe(true);
    expect(sent.first()).toBe('b');
    expect(sent.delete('b')).toBe(true);
    // 'c' was cancelled: the head skips it.
    expect(sent.first()).toBe('d');
    expect(sent.has('c')).toBe(false);
    expect(sent.has('e')).toBe(true);
    expect(sent.delete('e')).toBe(true);
    expect(sent.first()).toBe('d');
    expect(sent.size).toBe(1);
  });

  it('stays right through a long stream that never empties, with cancels along the way', () => {
    const sent = new SentKeys();
    const model: string[] = [];
    let next = 0;
    for (let step = 0; step < 20_000; step++) {
      const key = `k${next++}`;
      sent.add(key);
      model.push(key);
      if (step % 3 === 0 && model.length > 2) {
        // answer the oldest
        expect(sent.delete(model.shift() as string)).toBe(true);
      }
      if (step % 7 === 0 && model.length > 4) {
        // cancel one in the middle
        const [gone] = model.splice(Math.floor(model.length / 2), 1);
        expect(sent.delete(gone as string)).toBe(true);
      }
      if (step % 2 === 0 && model.length > 1) {
        expect(sent.delete(model.shift() as string)).toBe(true);
      }
      expect(sent.size).toBe(model.length);
      expect(sent.first()).toBe(model[0]);
    }
    for (const key of model.slice(0, 50)) expect(sent.has(key)).toBe(true);
    while (model.length > 0) expect(sent.delete(model.shift() as string)).toBe(true);
    expect(sent.size).toBe(0);
  });
});
