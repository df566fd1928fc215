/**
 * Messages over an RTCDataChannel: one logical message (a wire frame, given as its chunk list)
 * is sent as pieces of at most MAX_PIECE bytes, the first starting with a 16-byte header that
 * says how long the whole message is:
 *
 *   piece 0: [ 'BSKC' (u32 LE) | 0 (u32) | total bytes (f64 LE) | first bytes of the message ]
 *   piece 1..n: the following bytes, in order
 *
 * Channels are reliable and ordered, and a sender writes one message's pieces before the
 * next message's, so a receiver needs no ids: a piece either starts a message or continues the
 * current one. Small chunks are coalesced into one piece; big ones are sliced without copying.
 *
 * Invariant: a malformed stream (bad magic, a piece past the announced length, an absurd
 * length) is an ERR_PROTOCOL error, never a huge allocation or an out-of-bounds write.
 */
import { BaskError } from '../errors.js';
import { joinChunks } from '../wire/frame.js';

/** Largest piece sent on a data channel (64 KiB, the size every browser delivers whole). */
export const MAX_PIECE = 64 * 1024;
/** Largest logical message accepted (bytes). */
export const MAX_MESSAGE = 2 ** 31;

const MAGIC = 0x434b5342; // 'BSKC' little-endian
const HEADER = 16;

/** Splits a message (its chunks, in order) into pieces of at most `max` bytes. */
export function splitMessage(chunks: readonly Uint8Array[], max = MAX_PIECE): Uint8Array[] {
  let total = 0;
  for (const c of chunks) total += c.byteLength;
  const header = new Uint8Array(HEADER);
  const view = new DataView(header.buffer);
  view.setUint32(0, MAGIC, true);
  view.setFloat64(8, total, true);
  const pieces: Uint8Array[] = [];
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const flush = (): void => {
    if (pendingBytes === 0) return;
    pieces.push(pending.length === 1 ? (pending[0] as Uint8Array) : joinChunks(pending));
    pending = [];
    pendingBytes = 0;
  };
  for (const chunk of [header, ...chunks]) {
    let at = 0;
    while (at < chunk.byteLength) {
      const take = Math.min(max - pendingBytes, chunk.byteLength - at);
      pending.push(chunk.subarray(at, at + take));
      pendingBytes += take;
      at += take;
      if (pendingBytes === max) flush();
    }
  }
  flush();
  return pieces;
}

/** Reassembles pieces into messages. */
export class MessageAssembler {
  private current: Uint8Array | undefined;
  private filled = 0;

  /** Takes the next piece; returns a message when this piece completes one. */
  push(piece: Uint8Array): Uint8Array | undefined {
    let body = piece;
    if (this.current === undefined) {
      if (piece.byteLength < HEADER) throw malformed('a piece shorter than the header');
      const view = new DataView(piece.buffer, piece.byteOffset, HEADER);
      if (view.getUint32(0, true) !== MAGIC) throw malformed('not a bask message');
      const total = view.getFloat64(8, true);
      if (!Number.isInteger(total) || total < 0 || total > MAX_MESSAGE)
        throw malformed(`an impossible length (${total})`);
      this.current = new Uint8Array(total);
      this.filled = 0;
      body = piece.subarray(HEADER);
    }
    if (this.filled + body.byteLength > this.current.byteLength)
      throw malformed('more bytes than announced');
    this.current.set(body, this.filled);
    this.filled += body.byteLength;
    if (this.filled < this.current.byteLength) return undefined;
    const done = this.current;
    this.current = undefined;
    return done;
  }

  /** True while a message is partly received. */
  get partial(): boolean {
    return this.current !== undefined;
  }
}

function malformed(why: string): BaskError {
  return new BaskError('ERR_PROTOCOL', `Malformed data channel message: ${why}`);
}
