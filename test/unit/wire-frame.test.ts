/**
 * Frames (src/wire/frame.ts) decode buffers that own their bytes, unless one is most of its
 * frame: a view of a small part keeps the whole frame alive, and posting it to a thread copies
 * the whole frame (a worker process copied a 1 MB frame once per task it posted).
 */
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, FrameChunks, joinChunks } from '../../src/wire/frame.js';

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
