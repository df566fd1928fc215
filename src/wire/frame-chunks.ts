/**
 * A frame (frame.ts) that is not one contiguous buffer: the chunks an in-process link delivers,
 * or the fragments a socket received, and the big buffers that stay split as they came.
 *
 * Policy: a scheduler relays big buffers (a client's task arguments to a worker, a worker's
 * results to a client) without looking inside them, so it keeps a buffer that arrived across
 * several fragments in those fragments (`SplitBytes`) and sends the same pieces on. Joining
 * them is the receiver's job, which needs the bytes whole anyway (in `bask demo`, where the
 * scheduler and a worker share a process, two copies of each 4 MiB task argument into fresh
 * memory were a third of the scheduler's thread: bench/RESULTS.md, sixth round).
 *
 * Invariant: bytes received from a socket are never written to. The pieces of a `SplitBytes`
 * are such bytes, so an in-process link passes them on without a copy (`FrameChunks.copyOf`),
 * and a receiver never takes them as its own: it joins them into a buffer of its own.
 */

/** Pieces of received bytes, never written to (see the invariant). */
const received = new WeakSet<Uint8Array>();

/**
 * A big typed array or ArrayBuffer that arrived split across a socket's fragments, kept in
 * those pieces for a relay to send on as they are; `type` is its class name on the wire.
 */
export class SplitBytes {
  readonly byteLength: number;

  constructor(
    readonly type: string,
    readonly pieces: readonly Uint8Array[],
  ) {
    let n = 0;
    for (const p of pieces) {
      n += p.byteLength;
      received.add(p);
    }
    this.byteLength = n;
  }
}

/**
 * A frame in pieces, each a buffer: the chunks `encodeFrame` made, copied by an in-process
 * link (each big buffer then a chunk of its own, that `decodeFrame` takes as it is), or the
 * fragments a socket received (any boundaries).
 */
export class FrameChunks {
  readonly byteLength: number;

  private constructor(readonly chunks: readonly Uint8Array[]) {
    let n = 0;
    for (const c of chunks) n += c.byteLength;
    this.byteLength = n;
  }

  /**
   * A copy of a sender's chunks (which it may reuse or change), each chunk its own; the pieces
   * of a `SplitBytes` are not copied (see the invariant).
   */
  static copyOf(chunks: readonly Uint8Array[]): FrameChunks {
    return new FrameChunks(chunks.map((c) => (received.has(c) ? c : c.slice())));
  }

  /** A message a socket received in fragments (ws's `binaryType: 'fragments'`), as they are. */
  static received(fragments: readonly Uint8Array[]): FrameChunks {
    return new FrameChunks(fragments);
  }
}

/**
 * Whether a chunk of a frame in chunks may become the receiver's own buffer: a copy an
 * in-process link made, or a fragment a socket gave, but not a piece passed on (see the
 * invariant). The chunk itself, not a view of it (`piecesAt` gives a whole chunk as it is).
 */
export function isOwnChunk(chunk: Uint8Array): boolean {
  return !received.has(chunk);
}

/**
 * Concatenates chunks (for transports that cannot send fragments, like browser WebSockets);
 * `into` gives the bytes to join them in (exactly the length asked), else a new buffer.
 */
export function joinChunks(
  chunks: readonly Uint8Array[],
  into?: (byteLength: number) => Uint8Array,
): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.byteLength;
  const out = into?.(n) ?? new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * Where each chunk of a frame starts, for `piecesAt`: `starts[i]` is chunk i's offset in the
 * frame, and the last entry the frame's length.
 */
export function chunkStarts(chunks: readonly Uint8Array[]): number[] {
  const starts = [0];
  let at = 0;
  for (const c of chunks) starts.push((at += c.byteLength));
  return starts;
}

/**
 * The bytes [start, end) of a frame in chunks (within the frame: the caller checks), in order:
 * each chunk they cover whole as it is, the parts of others as views; a single one when one
 * chunk holds them all.
 */
export function piecesAt(
  chunks: readonly Uint8Array[],
  starts: readonly number[],
  start: number,
  end: number,
): Uint8Array[] {
  // The last chunk starting at or before `start` (binary search: chunks can be thousands).
  let lo = 0;
  let hi = chunks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= start) lo = mid;
    else hi = mid - 1;
  }
  const pieces: Uint8Array[] = [];
  for (let i = lo, at = start; at < end; i++) {
    const chunk = chunks[i] as Uint8Array;
    const from = starts[i] as number;
    const to = Math.min(end, from + chunk.byteLength);
    if (at === from && to === from + chunk.byteLength) pieces.push(chunk);
    else if (to > at) pieces.push(chunk.subarray(at - from, to - from));
    at = to;
  }
  return pieces.length > 0 ? pieces : [new Uint8Array(0)];
}
