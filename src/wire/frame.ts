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

/** Concatenates chunks (for transports that cannot send fragments, like browser WebSockets). */
export function joinChunks(chunks: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.byteLength;
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Decodes a received message; throws ERR_PROTOCOL on malformed input. */
export function decodeFrame(input: Uint8Array | ArrayBuffer): unknown {
  let data = input instanceof ArrayBuffer ? new Uint8Array(input) : input;
  if (data.byteLength < 8) throw protocolError('frame shorter than its prefix');
  if (data.byteOffset % 8 !== 0) data = data.slice();
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
  const base = 8 + length + pad8(8 + length);
  const buffers: Uint8Array[] = [];
  for (let i = 0; i < sizes.length; i++) {
    const size: unknown = sizes[i];
    const at: unknown = offsets[i];
    if (
      typeof size !== 'number' ||
      typeof at !== 'number' ||
      !Number.isInteger(size) ||
      !Number.isInteger(at)
    ) {
      throw protocolError('bad buffer table entry');
    }
    if (at < 0 || size < 0 || base + at + size > data.byteLength || at % 8 !== 0)
      throw protocolError('buffer out of bounds');
    buffers.push(data.subarray(base + at, base + at + size));
  }
  return restore(header['m'], buffers);
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

function restore(value: unknown, buffers: readonly Uint8Array[]): unknown {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = restore(value[i], buffers);
    return value;
  }
  if (!isPlainObject(value)) return value;
  if (value[MARK] === 'buf') return bufferFrom(value, buffers);
  for (const k of Object.keys(value)) value[k] = restore(value[k], buffers);
  return value;
}

function bufferFrom(marker: Record<string, unknown>, buffers: readonly Uint8Array[]): unknown {
  const i = marker['i'];
  const type = marker['t'];
  const bytes = typeof i === 'number' ? buffers[i] : undefined;
  if (bytes === undefined || typeof type !== 'string') throw protocolError('bad buffer marker');
  if (type === 'ArrayBuffer') return bytes.slice().buffer;
  const View = VIEWS[type as Exclude<ViewType, 'ArrayBuffer'>];
  if (View === undefined) throw protocolError(`unknown buffer type ${type}`);
  const size = View.BYTES_PER_ELEMENT ?? 1;
  if (bytes.byteLength % size !== 0)
    throw protocolError('buffer length not a multiple of its element size');
  // A buffer gets bytes of its own unless it is large and most of its frame: a view keeps its
  // whole buffer alive, posting it to a thread copies that whole buffer (a worker process posting
  // each task of a 1 MB frame to its threads copied the frame once per task: ~0.5 s per 2,000
  // files), and only a buffer of its own can be given to a thread without a copy.
  const own =
    bytes.byteLength >= KEEP_VIEW && bytes.byteLength * 2 >= bytes.buffer.byteLength
      ? bytes
      : bytes.slice();
  return new View(
    own.buffer as ArrayBuffer,
    own.byteOffset,
    type === 'DataView' ? own.byteLength : own.byteLength / size,
  );
}
