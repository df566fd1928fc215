/**
 * Frames (src/wire/frame.ts) decode buffers that own their bytes, unless one is most of its
 * frame: a view of a small part keeps the whole frame alive, and posting it to a thread copies
 * the whole frame (a worker process copied a 1 MB frame once per task it posted).
 */
import { describe, expect, it } from 'vitest';
import {
  decodeFrame,
  encodeFrame,
  FrameChunks,
  joinChunks,
  SplitBytes,
} from '../../src/wire/frame.js';
import { MARK } from '../../src/wire/clone.js';
import { UploadedBytes } from '../../src/wire/uploaded.js';

function bytes(n: number, fill: number): Uint8Array {
  return new Uint8Array(n).fill(fill);
}

describe('decodeFrame', () => {
  it('gives each of many buffers in a frame bytes of its own', () => {
    const sent = { run: [bytes(40_000, 1), bytes(40_000, 2), bytes(40_000, 3), bytes(100, 4)] };
    const got = decodeFrame(joinChunks(encodeFrame(sent))) as { run: Uint8Array[] };
    expect(got.run.map((b) => b[0])).toEqual([1, 2, 3, 4]);
    for (const [k, b] of got.run.entries()) {
      expect(b.byteLength).toBe(sent.run[k]?.byteLength);
      expect(b.buffer.byteLength).toBe(b.byteLength);
    }
    expect(got.run[1]?.every((x) => x === 2)).toBe(true);
  });

  it('keeps a buffer that is most of its frame as a view, without a copy', () => {
    const frame = joinChunks(encodeFrame({ data: new Float64Array(200_000).fill(0.5) }));
    const got = decodeFrame(frame) as { data: Float64Array };
    expect(got.data).toBeInstanceOf(Float64Array);
    expect(got.data.length).toBe(200_000);
    expect(got.data.buffer).toBe(frame.buffer);
  });

  it('decodes a frame in its chunks as the joined frame, taking its buffers as they are', () => {
    const sent = {
      m: new Map([['a', 1]]),
      run: [bytes(40_000, 1), bytes(20_001, 2), bytes(100, 3)],
      buffer: bytes(30_000, 4).buffer,
    };
    const frame = FrameChunks.copyOf(encodeFrame(sent));
    const got = decodeFrame(frame) as typeof sent;
    expect(got).toEqual(decodeFrame(joinChunks(encodeFrame(sent))));
    expect(got.run[0]?.buffer).toBe(frame.chunks[1]?.buffer);
    // After run[1] (20,001 bytes) comes its padding chunk, then the ArrayBuffer.
    expect(got.buffer).toBe(frame.chunks[4]?.buffer);
    expect(got.run[1]?.[20_000]).toBe(2);
  });

  it('decodes chunks that are not the ones encodeFrame made by joining them', () => {
    const sent = { run: [bytes(40_000, 1), bytes(40_000, 2)] };
    const whole = FrameChunks.copyOf([joinChunks(encodeFrame(sent))]);
    expect(decodeFrame(whole)).toEqual(sent);
    const joined = joinChunks(encodeFrame(sent));
    const halves = FrameChunks.copyOf([joined.subarray(0, 100), joined.subarray(100)]);
    expect(decodeFrame(halves)).toEqual(sent);
    expect(() => decodeFrame(FrameChunks.copyOf([joined.subarray(0, 4)]))).toThrow(
      /Malformed message/,
    );
  });
});

/** A joined frame cut at the given offsets, as a socket's fragments. */
function cut(frame: Uint8Array, at: readonly number[]): FrameChunks {
  const bounds = [0, ...at, frame.byteLength];
  return FrameChunks.received(bounds.slice(1).map((end, k) => frame.slice(bounds[k], end)));
}

describe('decodeFrame of fragments (frame-chunks.ts)', () => {
  const sent = {
    m: new Map([['a', 1]]),
    run: [bytes(40_000, 1), bytes(20_001, 2), bytes(100, 3)],
    floats: new Float64Array(5_000).fill(0.25),
    buffer: bytes(30_000, 4).buffer,
  };
  const frame = joinChunks(encodeFrame(sent));

  it('decodes a frame cut anywhere, the header too, as the joined frame', () => {
    for (const at of [[3], [10], [50], [40_010], [1, 2, 3, 70_000], [100_000, 100_001]]) {
      expect(decodeFrame(cut(frame, at))).toEqual(sent);
    }
    // Odd cuts put the floats at offsets a Float64Array cannot start at: they are copied.
    const odd = decodeFrame(cut(frame, [7, 60_123])) as typeof sent;
    expect(odd.floats[4_999]).toBe(0.25);
  });

  it('keeps buffers that span fragments split with `split`, and sends them on in those pieces', () => {
    const relayed = decodeFrame(cut(frame, [30_000, 61_000, 100_000]), { split: true }) as {
      run: unknown[];
      floats: unknown;
    };
    expect(relayed.run[0]).toBeInstanceOf(SplitBytes);
    expect(relayed.run[2]).toBeInstanceOf(Uint8Array);
    expect(relayed.floats).toBeInstanceOf(SplitBytes);
    expect((relayed.floats as SplitBytes).type).toBe('Float64Array');
    const chunks = encodeFrame(relayed);
    // The pieces themselves, not copies.
    expect(chunks).toContain((relayed.run[0] as SplitBytes).pieces[1]);
    expect(decodeFrame(joinChunks(chunks))).toEqual(sent);
  });

  it('passes split pieces through an in-process copy as they are; the receiver joins its own', () => {
    const relayed = decodeFrame(cut(frame, [30_000, 61_000]), { split: true }) as {
      run: SplitBytes[];
    };
    const pieces = relayed.run[0]?.pieces ?? [];
    const copied = FrameChunks.copyOf(encodeFrame(relayed));
    expect(copied.chunks).toContain(pieces[0]);
    const got = decodeFrame(copied) as typeof sent;
    expect(got).toEqual(sent);
    // Joined into a buffer of its own: the pieces stay the sender's.
    expect(got.run[0]?.buffer.byteLength).toBe(40_000);
    expect(got.run[0]?.buffer).not.toBe(pieces[0]?.buffer);
  });

  it('keeps a buffer that came as a fragment of its own without a copy; a link copies it on', () => {
    const sent = { run: [bytes(40_000, 1), bytes(100, 3)] };
    // A Node sender's fragments: the prefix, then each big buffer (ws gives each its own).
    const fragments = encodeFrame(sent).map((c) => c.slice());
    const got = decodeFrame(FrameChunks.received(fragments), { split: true }) as typeof sent;
    expect(got.run[0]?.buffer).toBe(fragments[1]?.buffer);
    const relayed = FrameChunks.copyOf(encodeFrame(got));
    expect(relayed.chunks[1]).not.toBe(fragments[1]);
    expect(decodeFrame(relayed)).toEqual(sent);
  });

  it('refuses malformed fragments as it refuses malformed frames', () => {
    expect(() => decodeFrame(cut(frame.subarray(0, 6), [3]))).toThrow(/shorter than its prefix/);
    expect(() => decodeFrame(cut(frame.subarray(0, 60_000), [20, 30_000]))).toThrow(
      /out of bounds/,
    );
    const header = bytes(16, 0);
    expect(() => decodeFrame(cut(header, [5]))).toThrow(/not a bask frame/);
    // 40,001 bytes called an Int16Array, split: refused, not kept for a worker to fail on.
    const forged = joinChunks(encodeFrame({ x: bytes(40_001, 1) }));
    const at = new TextDecoder().decode(forged.subarray(0, 200)).indexOf('Uint8Array');
    forged.set(new TextEncoder().encode('Int16Array'), at);
    expect(() => decodeFrame(cut(forged, [30_000]), { split: true })).toThrow(
      /multiple of its element size/,
    );
  });
});

describe('references to uploaded bytes (src/wire/uploaded.ts)', () => {
  it('become the pieces the resolver gives, sent on to the next hop as bytes', () => {
    const pieces = [bytes(30_000, 5), bytes(20_000, 6)];
    const asked: [string, number][] = [];
    const sent = { type: 'scatter', values: [new UploadedBytes('u7', 50_000), 'small'] };
    const got = decodeFrame(joinChunks(encodeFrame(sent)), {
      uploads: (id, n) => {
        asked.push([id, n]);
        return pieces;
      },
    }) as { values: [SplitBytes, string] };
    expect(asked).toEqual([['u7', 50_000]]);
    expect(got.values[0]).toBeInstanceOf(SplitBytes);
    expect(got.values[0].pieces).toEqual(pieces);
    const onward = decodeFrame(joinChunks(encodeFrame(got))) as { values: [Uint8Array, string] };
    expect(onward.values[0]).toEqual(joinChunks(pieces));
    expect(onward.values[1]).toBe('small');
  });

  it('are malformed where no uploads are expected, or with a bad id or length', () => {
    const frame = (value: unknown): Uint8Array => joinChunks(encodeFrame({ v: value }));
    const code = (run: () => unknown): string | undefined => {
      try {
        run();
        return undefined;
      } catch (error) {
        return (error as { code?: string }).code;
      }
    };
    expect(code(() => decodeFrame(frame(new UploadedBytes('u1', 3))))).toBe('ERR_PROTOCOL');
    const uploads = (): Uint8Array[] => [bytes(3, 1)];
    const forged = (marker: object): string | undefined =>
      code(() => decodeFrame(frame(marker), { uploads }));
    expect(forged({ [MARK]: 'up', id: 7, n: 3 })).toBe('ERR_PROTOCOL');
    expect(forged({ [MARK]: 'up', id: 'u1', n: -1 })).toBe('ERR_PROTOCOL');
    expect(forged({ [MARK]: 'up', id: 'u1', n: 1.5 })).toBe('ERR_PROTOCOL');
    expect(forged({ [MARK]: 'up', id: 'u1', n: 3 })).toBeUndefined();
  });
});
