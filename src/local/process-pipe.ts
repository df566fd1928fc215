/**
 * The byte pipe between the pool's main process and one worker process: a stream socket (the
 * child's fd 3) carrying frames, each addressed to a port of the process (process-ports.ts).
 *
 *   [ length of the rest (u32 LE) | port id (u32 LE) | wire frame (wire/frame.ts) ]
 *
 * Messages are encoded with the wire codec (msgpackr, big buffers as raw chunks), the one
 * codec bask uses between machines; registered types travel as the markers the clone encoder
 * (wire/clone.ts) already put in them, exactly as between threads. A frame's bytes are copied
 * into one buffer when it is sent, so a sender may reuse its buffers at once, as after a
 * `postMessage`. A received frame for another process can be passed on without decoding
 * (`sendRaw`): the parent relays data between two workers at the cost of a copy.
 *
 * Invariant: frames arrive whole and in order; a malformed frame (a length past any sane
 * limit) ends the pipe, it is never half-read.
 */
import type { Socket } from 'node:net';
import { decodeFrame, encodeFrame } from '../wire/frame.js';

const HEADER = 8;
/** Larger than any frame a worker sends: a length beyond it means the stream is corrupt. */
const MAX_FRAME = 2 ** 31;

/** What a pipe hears: one frame's port and its encoded message (decode with `decodeMessage`). */
export type FrameListener = (port: number, frame: Uint8Array) => void;

/** Decodes the message of a received frame. */
export function decodeMessage(frame: Uint8Array): unknown {
  return decodeFrame(frame);
}

/** Frames over one stream socket, both ways. */
export class FramePipe {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  private holding = false;

  constructor(
    /** The socket (the parent's `child.stdio[3]`, or the child's fd 3). */
    readonly socket: Socket,
    private readonly onFrame: FrameListener,
    /** Called once when the pipe ends (the other side exited or closed it). */
    private readonly onEnd: (error: Error | undefined) => void,
  ) {
    socket.on('data', (data: Buffer) => this.receive(data));
    socket.on('error', (error: Error) => this.end(error));
    socket.on('close', () => this.end(undefined));
  }

  /** True once the pipe has ended. */
  get isEnded(): boolean {
    return this.ended;
  }

  /** Encodes `message` and sends it to `port` on the other side. */
  send(port: number, message: unknown): void {
    if (this.ended) return;
    const out = this.frame(port, message);
    this.hold();
    this.socket.write(out);
  }

  /** The bytes of one frame: `message` for `port` (for a synchronous write at exit). */
  frame(port: number, message: unknown): Buffer {
    const chunks = encodeFrame(message);
    let size = 0;
    for (const c of chunks) size += c.byteLength;
    const out = Buffer.allocUnsafe(HEADER + size);
    out.writeUInt32LE(size + 4, 0);
    out.writeUInt32LE(port, 4);
    let at = HEADER;
    for (const c of chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    return out;
  }

  /** Frames sent in one tick leave in one write (a pipe write wakes the other process). */
  private hold(): void {
    if (this.holding) return;
    this.holding = true;
    this.socket.cork();
    process.nextTick(() => {
      this.holding = false;
      this.socket.uncork();
    });
  }

  /** Sends an encoded frame (one received from another pipe) to `port`, as it is. */
  sendRaw(port: number, frame: Uint8Array): void {
    if (this.ended) return;
    const head = Buffer.allocUnsafe(HEADER);
    head.writeUInt32LE(frame.byteLength + 4, 0);
    head.writeUInt32LE(port, 4);
    this.hold();
    this.socket.write(head);
    this.socket.write(frame);
  }

  /** Closes the pipe from this side. */
  close(): void {
    this.socket.destroy();
    this.end(undefined);
  }

  private receive(data: Buffer): void {
    this.chunks.push(data);
    this.buffered += data.byteLength;
    while (this.buffered >= HEADER && !this.ended) {
      const head = this.chunks[0] as Buffer;
      const first = head.byteLength >= HEADER ? head : this.take(HEADER, false);
      const length = first.readUInt32LE(0);
      if (length < 4 || length > MAX_FRAME) {
        this.socket.destroy();
        this.end(new Error(`corrupt frame length ${length} on a worker process pipe`));
        return;
      }
      if (this.buffered < 4 + length) return;
      const frame = this.take(4 + length, true);
      this.onFrame(frame.readUInt32LE(4), frame.subarray(HEADER));
    }
  }

  /** The first `n` buffered bytes as one buffer; consumed when `consume`. */
  private take(n: number, consume: boolean): Buffer {
    const head = this.chunks[0] as Buffer;
    let out: Buffer;
    if (head.byteLength >= n) {
      out = head.subarray(0, n);
    } else {
      out = Buffer.allocUnsafe(n);
      let at = 0;
      for (const c of this.chunks) {
        const part = Math.min(c.byteLength, n - at);
        c.copy(out, at, 0, part);
        at += part;
        if (at === n) break;
      }
    }
    if (!consume) return out;
    this.buffered -= n;
    let left = n;
    while (left > 0) {
      const c = this.chunks[0] as Buffer;
      if (c.byteLength <= left) {
        this.chunks.shift();
        left -= c.byteLength;
      } else {
        this.chunks[0] = c.subarray(left);
        left = 0;
      }
    }
    return out;
  }

  private end(error: Error | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.chunks.length = 0;
    this.buffered = 0;
    this.onEnd(error);
  }
}
