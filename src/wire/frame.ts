/**
 * Framing of wire messages: msgpack (msgpackr) for the structure, raw binary for big buffers.
 *
 *   [ 'BSK1' | header length (u32 LE) | msgpack header | pad to 8 | buffer 0 | pad | buffer 1 ... ]
 *
 * Typed arrays and ArrayBuffers of BIG_BUFFER bytes or more are not copied into the msgpack
 * body: the header holds a marker with their index and each travels as its own chunk, so a
 * sender hands the socket a list of chunks (sent as fragments of one WebSocket message, no
 * concatenation) and a receiver gets views into the received bytes, 8-byte aligned so that a
 * Float64Array needs no copy. Smaller typed arrays travel inside the msgpack body.
 *
 * Decoding checks every length and offset against the received bytes: malformed input is an
 * ERR_PROTOCOL error, never an out-of-bounds read or a huge allocation.
 */
import { Packr } from 'msgpackr';
import { BaskError } from '../errors.js';
import { isPlainObject, mapContainer } from '../graph/spec.js';
import { MARK } from './clone.js';

const MAGIC = 0x314b5342; // 'BSK1' little-endian
const BIG_BUFFER = 16 * 1024;
/** A decoded buffer this large that is most of its frame stays a view of it (no copy). */
const KEEP_VIEW = 1 << 20;

// structuredClone mode: self-contained messages; objects stay objects, Maps stay Maps, shared refs survive.
// copyBuffers: a small binary decodes into bytes of its own, not a view of the whole frame (see
// bufferFrom).
const packr = new Packr({ moreTypes: true, structuredClone: true, copyBuffers: true });

type ViewType =
  | 'ArrayBuffer'
  | 'Uint8Array'
  | 'Int8Array'
  | 'Uint16Array'
  | 'Int16Array'
  | 'Uint32Array'
  | 'Int32Array'
  | 'Float32Array'
  | 'Float64Array'
  | 'BigInt64Array'
  | 'BigUint64Array'
  | 'Uint8ClampedArray'
  | 'DataView';

const VIEWS: Record<
  Exclude<ViewType, 'ArrayBuffer'>,
  { new (b: ArrayBuffer, o: number, n: number): ArrayBufferView; BYTES_PER_ELEMENT?: number }
> = {
  Uint8Array,
  Int8Array,
  Uint16Array,
  Int16Array,
  Uint32Array,
  Int32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
  Uint8ClampedArray,
  DataView: DataView,
};

function pad8(n: number): number {
  return (8 - (n % 8)) % 8;
}

/** Encodes a message into chunks to send as one binary message (in order). */
export function encodeFrame(message: unknown): Uint8Array[] {
  const buffers: Uint8Array[] = [];
  const body = extract(message, buffers);
  // Buffer offsets are relative to the end of the (padded) header, so one pack is enough.
  const offsets: number[] = [];
  let offset = 0;
  for (const b of buffers) {
    offsets.push(offset);
    offset += b.byteLength + pad8(b.byteLength);
  }
  const header = packr.pack({ m: body, b: buffers.map((b) => b.byteLength), o: offsets });
  const start = 8 + header.length;
  const prefix = new Uint8Array(start + pad8(start));
  const view = new DataView(prefix.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, header.length, true);
  prefix.set(header, 8);
  const chunks: Uint8Array[] = [prefix];
  for (const b of buffers) {
    chunks.push(b);
    const p = pad8(b.byteLength);
    if (p > 0) chunks.push(new Uint8Array(p));
  }
  return chunks;
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
 * A frame still in the chunks `encodeFrame` made (the prefix, then each buffer and its
 * padding), each chunk a buffer of its own: what an in-process link delivers (it copies the
 * sender's chunks once). `decodeFrame` takes its buffers as they are, instead of joining the
 * chunks into one frame and copying each buffer out of it again.
 */
export class FrameChunks {
  readonly byteLength: number;

  private constructor(readonly chunks: readonly Uint8Array[]) {
    let n = 0;
    for (const c of chunks) n += c.byteLength;
    this.byteLength = n;
  }

  /** A copy of a sender's chunks (which it may reuse or change), each chunk its own. */
  static copyOf(chunks: readonly Uint8Array[]): FrameChunks {
    return new FrameChunks(chunks.map((c) => c.slice()));
  }
}

/** A received frame: bytes from a socket, or the chunks of an in-process link. */
export type FrameData = Uint8Array | FrameChunks;

/** Decodes a received message; throws ERR_PROTOCOL on malformed input. */
export function decodeFrame(input: Uint8Array | ArrayBuffer | FrameChunks): unknown {
  if (input instanceof FrameChunks) return decodeChunks(input.chunks);
  let data = input instanceof ArrayBuffer ? new Uint8Array(input) : input;
  if (data.byteOffset % 8 !== 0) data = data.slice();
  const { header, length, sizes, offsets } = readHeader(data);
  const base = 8 + length + pad8(8 + length);
  const buffers: Uint8Array[] = [];
  for (let i = 0; i < sizes.length; i++) {
    const size = sizes[i] as number;
    const at: unknown = offsets[i];
    if (typeof at !== 'number' || !Number.isInteger(at))
      throw protocolError('bad buffer table entry');
    if (at < 0 || base + at + size > data.byteLength || at % 8 !== 0)
      throw protocolError('buffer out of bounds');
    buffers.push(data.subarray(base + at, base + at + size));
  }
  return restore(header['m'], buffers, false);
}

/**
 * `decodeFrame` of a frame in its chunks: each buffer is a chunk of its own, used as it is. A
 * frame sent in other pieces (one joined frame, say) is joined and decoded as one.
 */
function decodeChunks(chunks: readonly Uint8Array[]): unknown {
  const prefix = chunks[0];
  if (prefix === undefined || chunks.length === 1) return decodeFrame(prefix ?? new Uint8Array());
  const { header, length, sizes } = readHeader(prefix);
  const buffers: Uint8Array[] = [];
  let next = 1;
  let split = prefix.byteLength === 8 + length + pad8(8 + length);
  for (let i = 0; split && i < sizes.length; i++) {
    const size = sizes[i] as number;
    const chunk = chunks[next++];
    if (chunk === undefined || chunk.byteLength !== size) split = false;
    else buffers.push(chunk);
    if (pad8(size) > 0) next++;
  }
  if (!split || next !== chunks.length) return decodeFrame(joinChunks(chunks));
  return restore(header['m'], buffers, true);
}

/** The prefix and header of a frame, checked: its buffer sizes (integers, not negative). */
function readHeader(data: Uint8Array): {
  header: Record<string, unknown>;
  length: number;
  sizes: number[];
  offsets: unknown[];
} {
  if (data.byteLength < 8) throw protocolError('frame shorter than its prefix');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw protocolError('not a bask frame');
  const length = view.getUint32(4, true);
  if (length > data.byteLength - 8) throw protocolError('header length past the end of the frame');
  let header: unknown;
  try {
    header = packr.unpack(data.subarray(8, 8 + length));
  } catch (error) {
    throw protocolError(
      `undecodable header (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  if (!isPlainObject(header)) throw protocolError('header is not a map');
  const sizes = header['b'];
  const offsets = header['o'] ?? [];
  if (!Array.isArray(sizes) || !Array.isArray(offsets) || sizes.length !== offsets.length) {
    throw protocolError('bad buffer table');
  }
  for (const size of sizes as unknown[])
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0)
      throw protocolError('bad buffer table entry');
  return { header, length, sizes: sizes as number[], offsets: offsets as unknown[] };
}

function protocolError(why: string): BaskError {
  return new BaskError('ERR_PROTOCOL', `Malformed message: ${why}`);
}

/** Replaces big buffers by markers (copy-on-write: shared values are never mutated). */
function extract(value: unknown, buffers: Uint8Array[]): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (ArrayBuffer.isView(value)) {
    if (value.byteLength < BIG_BUFFER) return value;
    buffers.push(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    return { [MARK]: 'buf', i: buffers.length - 1, t: value.constructor.name as ViewType };
  }
  if (value instanceof ArrayBuffer) {
    if (value.byteLength < BIG_BUFFER) return value;
    buffers.push(new Uint8Array(value));
    return { [MARK]: 'buf', i: buffers.length - 1, t: 'ArrayBuffer' };
  }
  return mapContainer(value, (item) => extract(item, buffers));
}

/** Puts the buffers back in place of their markers; `own`: each buffer is the receiver's already. */
function restore(value: unknown, buffers: readonly Uint8Array[], own: boolean): unknown {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = restore(value[i], buffers, own);
    return value;
  }
  if (!isPlainObject(value)) return value;
  if (value[MARK] === 'buf') return bufferFrom(value, buffers, own);
  for (const k of Object.keys(value)) value[k] = restore(value[k], buffers, own);
  return value;
}

function bufferFrom(
  marker: Record<string, unknown>,
  buffers: readonly Uint8Array[],
  own: boolean,
): unknown {
  const i = marker['i'];
  const type = marker['t'];
  const bytes = typeof i === 'number' ? buffers[i] : undefined;
  if (bytes === undefined || typeof type !== 'string') throw protocolError('bad buffer marker');
  // A buffer gets bytes of its own unless it has them already (an in-process link's chunk), or
  // it is large and most of its frame: a view keeps its whole buffer alive, posting it to a
  // thread copies that whole buffer (a worker process posting each task of a 1 MB frame to its
  // threads copied the frame once per task: ~0.5 s per 2,000 files), and only a buffer of its
  // own can be given to a thread without a copy. (encodeFrame writes one marker per chunk, so
  // a chunk kept as it is belongs to one value.)
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  const kept =
    (own && whole) ||
    (bytes.byteLength >= KEEP_VIEW && bytes.byteLength * 2 >= bytes.buffer.byteLength);
  if (type === 'ArrayBuffer') return kept && whole ? bytes.buffer : bytes.slice().buffer;
  const View = VIEWS[type as Exclude<ViewType, 'ArrayBuffer'>];
  if (View === undefined) throw protocolError(`unknown buffer type ${type}`);
  const size = View.BYTES_PER_ELEMENT ?? 1;
  if (bytes.byteLength % size !== 0)
    throw protocolError('buffer length not a multiple of its element size');
  const mine = kept ? bytes : bytes.slice();
  return new View(
    mine.buffer as ArrayBuffer,
    mine.byteOffset,
    type === 'DataView' ? mine.byteLength : mine.byteLength / size,
  );
}
