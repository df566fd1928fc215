import { describe, expect, inject, it } from 'vitest';
import { openSocket } from '../../src/wire/socket.js';
import type { FrameData } from '../../src/wire/frame.js';

/** `n` bytes counting up from `seed`, split into `parts` chunks. */
function chunks(seed: number, n: number, parts: number): Uint8Array[] {
  const all = new Uint8Array(n);
  for (let i = 0; i < n; i++) all[i] = (seed + i) & 0xff;
  const out: Uint8Array[] = [];
  const step = Math.ceil(n / parts);
  for (let at = 0; at < n; at += step) out.push(all.slice(at, at + step));
  return out;
}

/** The first position where `got` differs from `parts` joined (-1: none; a short diff on failure). */
function firstDifference(got: Uint8Array, parts: readonly Uint8Array[]): number {
  let at = 0;
  for (const p of parts)
    for (const byte of p) {
      if (got[at] !== byte) return at;
      at++;
    }
  return got.byteLength === at ? -1 : at;
}

describe('the browser socket', () => {
  it('sends each message as it was when sent, though it joins them in one reused buffer', async () => {
    const socket = await openSocket(inject('echoAddress'));
    const received: FrameData[] = [];
    const sizes = [1000, 900, 70_000, 300_000, 10];
    const done = new Promise<void>((resolve) =>
      socket.onMessage((data) => {
        received.push(data);
        if (received.length === sizes.length) resolve();
      }),
    );
    // All sent in one turn: each later message overwrites the buffer the earlier one was joined in.
    const sent = sizes.map((n, i) => chunks(i * 7, n, 3));
    for (const message of sent) socket.send(message);
    await done;
    socket.close();
    expect(received.map((r) => (r as Uint8Array).byteLength)).toEqual(sizes);
    expect(received.map((r, i) => firstDifference(r as Uint8Array, sent[i] ?? []))).toEqual(
      sizes.map(() => -1),
    );
  });
});
