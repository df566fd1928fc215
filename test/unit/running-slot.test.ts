/** The running slot a thread writes and its parent reads (worker/running-slot.ts). */
import { describe, expect, it } from 'vitest';
import { RunningSlot, newRunningSlot } from '../../src/worker/running-slot.js';

describe('RunningSlot', () => {
  it('says which key runs, idle between tasks, and unknown for a key too long to record', () => {
    const memory = newRunningSlot();
    if (memory === undefined) throw new Error('Node shares memory between threads');
    const writer = new RunningSlot(memory);
    const reader = new RunningSlot(memory);
    expect(reader.read()).toEqual({ state: 'idle' });
    writer.enter('inc-ünïcode-42');
    expect(reader.read()).toEqual({ state: 'running', key: 'inc-ünïcode-42' });
    writer.leave();
    expect(reader.read()).toEqual({ state: 'idle' });
    writer.enter('k'.repeat(10_000));
    expect(reader.read()).toEqual({ state: 'unknown' });
  });
});
