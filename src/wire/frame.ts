/**
 * Framing of wire messages: msgpack (msgpackr) for the structure, raw binary for big buffers.
 *
 *   [ 'BSK1' | header length (u32 LE) | msgpack header | pad to 8 | buffer 0 | pad | buffer 1 ... ]
 *
 * Typed arrays and ArrayBuffers of BIG_BUFFER bytes or more are not copied into the msgpack
 * body: the header holds a marker with their index and each travels as its own chunk, so a
 * sender hands the socket a list of chunks (sent as fragments of one WebSocket message, no
 * concatenation) and a receiver gets views into the received bytes, 8-byte aligned so that a
 * Float64Array needs no copy. Smaller typed arrays travel inside the msgpack body. A frame
 * received in pieces (an in-process link's chunks, a socket's fragments: frame-chunks.ts) is
 * decoded where it lies.
 *
 * Decoding checks every length and offset against the received bytes: malformed input is an
 * ERR_PROTOCOL error, never an out-of-bounds read or a huge allocation.
 */
import { Packr } from 'msgpackr';
import { BaskError } from '../errors.js';
import { isPlainObject, mapContainer } from '../graph/spec.js';
import { MARK } from './clone.js';
import {
  chunkStarts,
  FrameChunks,
  isOwnChunk,
  joinChunks,
  piecesAt,
  SplitBytes,
} from './frame-chunks.js';
import { UploadedBytes, type UploadResolver } from './uploaded.js';

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
  const buffers: (Uint8Array | SplitBytes)[] = [];
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
    // A buffer still split as it was received goes on in its pieces (frame-chunks.ts).
    if (b instanceof SplitBytes) chunks.push(...b.pieces);
    else chunks.push(b);
    const p = pad8(b.byteLength);
    if (p > 0) chunks.push(new Uint8Array(p));
  }
  return chunks;
}

export { FrameChunks, joinChunks, SplitBytes } from './frame-chunks.js';

/** A received frame: bytes from a socket, or a frame in chunks (frame-chunks.ts). */
export type FrameData = Uint8Array | FrameChunks;

/** Options of {@link decodeFrame}. */
export interface DecodeOptions {
  /**
   * Keep a big buffer that spans several of a `FrameChunks`' pieces as a `SplitBytes` instead
   * of joining it: for a relay that only sends it on (frame-chunks.ts).
   */
  readonly split?: boolean;
  /**
   * Where bytes uploaded ahead of this frame are (uploaded.ts): each becomes a `SplitBytes` of
   * the pieces it came in. Without it, a frame that refers to an upload is malformed.
   */
  readonly uploads?: UploadResolver;
}

/**
 * A big buffer found in a received frame: its bytes, and whether they are the receiver's to
 * keep (a copy made for it, or a fragment it was given), or its pieces when it stays split.
 */
type Found = { bytes: Uint8Array; own: boolean } | { pieces: Uint8Array[]; size: number };

/**
 * Decodes a received message; throws ERR_PROTOCOL on malformed input. A frame in chunks is
 * decoded where it lies: each big buffer is a view of the chunk that holds it (a chunk of an
 * in-process link that is exactly the buffer is taken as it is), joined when it spans several
 * chunks, or kept split with `split`.
 */
export function decodeFrame(
  input: Uint8Array | ArrayBuffer | FrameChunks,
  options: DecodeOptions = {},
): unknown {
  let chunks: readonly Uint8Array[];
  if (input instanceof FrameChunks) {
    chunks = input.chunks;
  } else {
    const data = input instanceof ArrayBuffer ? new Uint8Array(input) : input;
    // Aligned, so that a Float64Array in it needs no copy.
    chunks = [data.byteOffset % 8 === 0 ? data : data.slice()];
  }
  const starts = chunkStarts(chunks);
  const total = starts[starts.length - 1] as number;
  const at = (start: number, end: number): Uint8Array[] => piecesAt(chunks, starts, start, end);
  const { header, length, sizes, offsets } = readHeader(chunks[0], at, total);
  const base = 8 + length + pad8(8 + length);
  // A frame in chunks is the receiver's: an in-process link's copies, or the fragments a
  // socket received (but not pieces passed on uncopied: frame-chunks.ts). Bytes given whole
  // are views into a message that other values share.
  const inChunks = input instanceof FrameChunks;
  const found: Found[] = [];
  for (let i = 0; i < sizes.length; i++) {
    const size = sizes[i] as number;
    const offset: unknown = offsets[i];
    if (typeof offset !== 'number' || !Number.isInteger(offset))
      throw protocolError('bad buffer table entry');
    if (offset < 0 || base + offset + size > total || offset % 8 !== 0)
      throw protocolError('buffer out of bounds');
    const pieces = at(base + offset, base + offset + size);
    const one = pieces.length === 1 ? (pieces[0] as Uint8Array) : undefined;
    if (one !== undefined) found.push({ bytes: one, own: inChunks && isOwnChunk(one) });
    else if (options.split === true) found.push({ pieces, size });
    else found.push({ bytes: joinChunks(pieces), own: true });
  }
  return restore(header['m'], found, options.uploads);
}

/** The prefix and header of a frame, checked: its buffer sizes (integers, not negative). */
function readHeader(
  first: Uint8Array | undefined,
  at: (start: number, end: number) => Uint8Array[],
  total: number,
): { header: Record<string, unknown>; length: number; sizes: number[]; offsets: unknown[] } {
  if (total < 8) throw protocolError('frame shorter than its prefix');
  const prefix = first !== undefined && first.byteLength >= 8 ? first : joinChunks(at(0, 8));
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  if (view.getUint32(0, true) !== MAGIC) throw protocolError('not a bask frame');
  const length = view.getUint32(4, true);
  if (length > total - 8) throw protocolError('header length past the end of the frame');
  const bytes =
    prefix === first && first.byteLength >= 8 + length
      ? first.subarray(8, 8 + length)
      : joinChunks(at(8, 8 + length));
  let header: unknown;
  try {
    header = packr.unpack(bytes);
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
function extract(value: unknown, buffers: (Uint8Array | SplitBytes)[]): unknown {
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
  if (value instanceof SplitBytes) {
    buffers.push(value);
    return { [MARK]: 'buf', i: buffers.length - 1, t: value.type };
  }
  if (value instanceof UploadedBytes) return { [MARK]: 'up', id: value.id, n: value.byteLength };
  return mapContainer(value, (item) => extract(item, buffers));
}

/** Puts the buffers found (and the uploads referred to) back in place of their markers. */
function restore(value: unknown, found: readonly Found[], uploads?: UploadResolver): unknown {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = restore(value[i], found, uploads);
    return value;
  }
  if (!isPlainObject(value)) return value;
  const mark = value[MARK];
  if (mark === 'buf') return bufferFrom(value, found);
  if (mark === 'up') return uploadFrom(value, uploads);
  for (const k of Object.keys(value)) value[k] = restore(value[k], found, uploads);
  return value;
}

/** The bytes an upload marker refers to, as the pieces they came in (uploaded.ts). */
function uploadFrom(marker: Record<string, unknown>, uploads?: UploadResolver): SplitBytes {
  const id = marker['id'];
  const n = marker['n'];
  if (uploads === undefined) throw protocolError('a reference to uploaded bytes');
  if (typeof id !== 'string' || typeof n !== 'number' || !Number.isInteger(n) || n < 0)
    throw protocolError('bad upload marker');
  return new SplitBytes('Uint8Array', uploads(id, n));
}

function bufferFrom(marker: Record<string, unknown>, found: readonly Found[]): unknown {
  const i = marker['i'];
  const type = marker['t'];
  const buffer = typeof i === 'number' ? found[i] : undefined;
  if (buffer === undefined || typeof type !== 'string') throw protocolError('bad buffer marker');
  const View = type === 'ArrayBuffer' ? undefined : VIEWS[type as Exclude<ViewType, 'ArrayBuffer'>];
  if (type !== 'ArrayBuffer' && View === undefined)
    throw protocolError(`unknown buffer type ${type}`);
  const size = View?.BYTES_PER_ELEMENT ?? 1;
  const byteLength = 'pieces' in buffer ? buffer.size : buffer.bytes.byteLength;
  if (byteLength % size !== 0)
    throw protocolError('buffer length not a multiple of its element size');
  if ('pieces' in buffer) return new SplitBytes(type, buffer.pieces);
  const { bytes, own } = buffer;
  // A buffer gets bytes of its own unless it has them already (an in-process link's chunk, or
  // pieces joined), or it is large and most of its frame: a view keeps its whole buffer alive,
  // posting it to a thread copies that whole buffer (a worker process posting each task of a
  // 1 MB frame to its threads copied the frame once per task: ~0.5 s per 2,000 files), and
  // only a buffer of its own can be given to a thread without a copy. (encodeFrame writes one
  // marker per chunk, so a chunk kept as it is belongs to one value.) A view must also start
  // where its elements may.
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  const kept =
    ((own && whole) ||
      (bytes.byteLength >= KEEP_VIEW && bytes.byteLength * 2 >= bytes.buffer.byteLength)) &&
    bytes.byteOffset % size === 0;
  if (View === undefined) return kept && whole ? bytes.buffer : bytes.slice().buffer;
  const mine = kept ? bytes : bytes.slice();
  return new View(
    mine.buffer as ArrayBuffer,
    mine.byteOffset,
    type === 'DataView' ? mine.byteLength : mine.byteLength / size,
  );
}
