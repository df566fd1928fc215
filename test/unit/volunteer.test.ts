/**
 * The volunteer's pure parts: data channel chunking (pieces of at most 64 KiB, reassembled
 * exactly, malformed streams refused) and the spill ledger (byte accounting, LRU victims,
 * pinned keys kept), plus finding the refs inside encoded task args.
 */
import { describe, expect, it } from 'vitest';
import { MAX_PIECE, MessageAssembler, splitMessage } from '../../src/volunteer/chunks.js';
import { Ledger } from '../../src/worker/ledger.js';
import { refsIn } from '../../src/volunteer/holdings.js';
import { MARK } from '../../src/wire/clone.js';
import { isBaskError } from '../../src/errors.js';

function bytes(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) % 251);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

describe('data channel chunking', () => {
  it('splits into pieces of at most 64 KiB and reassembles each message exactly', () => {
    const messages = [
      [bytes(10, 1)],
      [bytes(100, 2), bytes(3 * MAX_PIECE + 17, 3), bytes(5, 4)],
      [bytes(0, 5)],
      [bytes(MAX_PIECE - 16, 6)],
    ];
    const assembler = new MessageAssembler();
    const received: Uint8Array[] = [];
    for (const chunks of messages) {
      const pieces = splitMessage(chunks);
      for (const p of pieces) {
        expect(p.byteLength).toBeLessThanOrEqual(MAX_PIECE);
        const done = assembler.push(p.slice());
        if (done !== undefined) received.push(done);
      }
    }
    expect(received).toEqual(messages.map(concat));
    expect(assembler.partial).toBe(false);
  });

  it('coalesces small chunks into one piece', () => {
    expect(splitMessage([bytes(10, 1), bytes(20, 2), bytes(30, 3)])).toHaveLength(1);
  });

  it('refuses streams that are not bask messages or overflow', () => {
    const bad = (piece: Uint8Array): unknown => {
      try {
        new MessageAssembler().push(piece);
      } catch (error) {
        return error;
      }
      return undefined;
    };
    expect(isBaskError(bad(bytes(40, 9)), 'ERR_PROTOCOL')).toBe(true);
    const [first] = splitMessage([bytes(8, 1)]);
    const longer = concat([first as Uint8Array, bytes(4, 2)]);
    expect(isBaskError(bad(longer), 'ERR_PROTOCOL')).toBe(true);
  });
});

describe('spill ledger', () => {
  it('accounts bytes by state and picks the least recently used unpinned values', () => {
    const ledger = new Ledger();
    const a = ledger.add('t/0', 'a', 100);
    ledger.add('t/0', 'b', 100);
    ledger.add('t/1', 'c', 100);
    expect(ledger.memory).toBe(300);
    ledger.touch(a);
    ledger.pin(['b']);
    expect(ledger.victims(150).map((h) => h.key)).toEqual(['c', 'a']);
    expect(ledger.victims(300)).toEqual([]);
    ledger.setState(a, 'spilled');
    expect([ledger.memory, ledger.spilled, ledger.spilledKeys]).toEqual([200, 100, 1]);
    ledger.unpin(['b']);
    expect(ledger.victims(100).map((h) => h.key)).toEqual(['b']);
    ledger.remove('t/0', 'a');
    expect([ledger.memory, ledger.spilled, ledger.size]).toEqual([200, 0, 2]);
    expect(ledger.countByThread()).toEqual(
      new Map([
        ['t/0', 1],
        ['t/1', 1],
      ]),
    );
  });
});

describe('refs in encoded args', () => {
  it('finds ref markers at any depth, nested tasks included', () => {
    const ref = (key: string): unknown => ({ [MARK]: 'ref', key });
    const args = [
      ref('x'),
      [1, { y: ref('y') }],
      { [MARK]: 'task', fn: { kind: 'op', op: 'add' }, args: [ref('z'), 2] },
      new Float64Array(4),
    ];
    expect(refsIn(args).sort()).toEqual(['x', 'y', 'z']);
  });
});
