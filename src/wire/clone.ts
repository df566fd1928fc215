/**
 * Values across local worker boundaries (structured clone + transfer lists).
 *
 * Structured clone copies plain data, typed arrays, Maps, Dates... but turns class instances
 * into plain objects and rejects functions. Before posting, `CloneEncoder` replaces instances
 * of registered types by envelopes, task specs' `Ref`/`Task` by markers, and, in task specs
 * only, functions passed as arguments (callbacks: `xs.map((x) => x * 2)`) by function
 * references, the way task functions ship; after receiving, `CloneDecoder` restores them
 * (callbacks as callables, through the worker's function cache). In data (results, scattered
 * values) a function is refused with ERR_SERIALIZE. Markers are plain objects with a
 * NUL-prefixed key no user data has. When a value changes owner (`move`), the ArrayBuffers it
 * owns whole go in the transfer list (zero copy); buffers shared with other views are copied,
 * never detached. A view of a small part of a large buffer (a frame's columns in their slab, a
 * Node Buffer in its pool) goes as a copy of its own bytes: structured clone would copy the
 * whole buffer along (two such views then no longer share their bytes on arrival).
 */
import { BaskError } from '../errors.js';
import { describeFunction, isFnRef, type FnRef } from '../graph/fnref.js';
import { Ref, Task, isPlainObject, mapContainer } from '../graph/spec.js';
import { BytesOf, isBlob, rememberBytes } from './blob-bytes.js';
import { isHandedOver, wasMoved } from './hand-over.js';
import { typeNamed, typeOf } from './registry.js';
import type { UploadedBytes } from './uploaded.js';

/**
 * The bytes of Files and Blobs to send, read ahead (a Map, or a WeakMap that lets them go), or
 * uploaded to the scheduler ahead of the frame (uploaded.ts).
 */
export interface BlobContents {
  get(blob: Blob): Uint8Array | UploadedBytes | undefined;
}

/** The key of every marker object. */
export const MARK = '\u0000bask';

type Marker =
  | { [MARK]: 'type'; name: string; data: unknown; module?: string }
  | { [MARK]: 'ref'; key: string }
  | { [MARK]: 'task'; fn: FnRef; args: unknown[]; key?: string }
  | { [MARK]: 'fn'; fn: FnRef }
  | { [MARK]: 'file'; name: string | undefined; mime: string; bytes: Uint8Array | UploadedBytes }
  /** A File posted in a runtime whose structured clone drops its name (see `clonesFileNames`). */
  | { [MARK]: 'named-file'; name: string; mime: string; lastModified: number; blob: Blob };

/** An encoded value and what to transfer with it. */
export interface Encoded {
  value: unknown;
  /** Whether any marker is inside (the receiver must decode). */
  marked: boolean;
}

/** Encodes values for postMessage; collects transferables when moving. */
export class CloneEncoder {
  marked = false;
  /**
   * Record the module URL of registered types (so a receiver can import it). Content hashes
   * leave it out: one class may load from different URLs on different machines.
   */
  withModules = true;
  readonly transfer: Transferable[] = [];
  /**
   * Post a view of a small part of a large buffer as a copy of its own bytes (see the header).
   * Off for the wire, whose codec copies only a view's bytes anyway.
   */
  compactViews = true;
  private seen: Map<object, unknown> | undefined;

  constructor(
    /** Give buffers away (the sender will not use the value again). */
    private readonly move: boolean,
    /**
     * How functions are named on the wire. Given when encoding a task spec: then functions in
     * its args (callbacks) ship as references too. Without it, the value is data: a function
     * in it fails with ERR_SERIALIZE.
     */
    private readonly fnRef?: (fn: (...args: never[]) => unknown) => FnRef,
    /**
     * Contents of Files/Blobs read ahead (reading is async, encoding is not). Given only for
     * the wire: locally, structured clone passes Files as they are.
     */
    private readonly blobs?: BlobContents,
    /**
     * Where to put handed-over buffers to move (wire/hand-over.ts): given by a pool encoding
     * specs for its worker threads. A spec holding a buffer already moved is refused then
     * (ERR_DATA_LOST).
     */
    private readonly handedOver?: Transferable[],
  ) {}

  /** Encodes one value (a result, or a spec's args). */
  encode(value: unknown): unknown {
    if (value === null || typeof value !== 'object') {
      if (typeof value === 'function') {
        if (this.fnRef !== undefined)
          return this.mark({
            [MARK]: 'fn',
            fn: this.fnRef(value as (...args: never[]) => unknown),
          });
        throw new BaskError(
          'ERR_SERIALIZE',
          `A function ('${value.name || 'anonymous'}') cannot be sent as data between workers`,
        );
      }
      return value;
    }
    if (ArrayBuffer.isView(value)) {
      const handedOver = this.handedOver;
      if (handedOver !== undefined) {
        if (isHandedOver(value.buffer)) {
          if (!handedOver.includes(value.buffer)) handedOver.push(value.buffer);
          return value;
        }
        if (wasMoved(value.buffer))
          throw new BaskError(
            'ERR_DATA_LOST',
            'Bytes this task was given were moved to a worker that stopped before it finished; read them again (runSpreads does)',
          );
      }
      const view = (this.compactViews ? compacted(value) : undefined) ?? value;
      if (this.move)
        this.give(view.buffer, view.byteOffset === 0 && view.byteLength === view.buffer.byteLength);
      return view;
    }
    if (value instanceof ArrayBuffer) {
      if (this.move) this.give(value, true);
      return value;
    }
    const seen = (this.seen ??= new Map<object, unknown>());
    const prior = seen.get(value);
    if (prior !== undefined) return prior;
    return this.encodeObject(value, seen);
  }

  private encodeObject(value: object, seen: Map<object, unknown>): unknown {
    if (value instanceof Ref) return this.mark({ [MARK]: 'ref', key: value.key });
    if (value instanceof Task) {
      const marker: Marker = {
        [MARK]: 'task',
        fn: (this.fnRef ?? describeFunction)(value.fn),
        args: value.args.map((a) => this.encode(a)),
      };
      if (value.key !== undefined) marker.key = value.key;
      return this.mark(marker);
    }
    if (Array.isArray(value) || isPlainObject(value)) {
      const out = mapContainer(value, (item) => this.encode(item));
      seen.set(value, out);
      return out;
    }
    if (this.blobs === undefined && isFile(value) && !clonesFileNames()) {
      return this.mark({
        [MARK]: 'named-file',
        name: value.name,
        mime: value.type,
        lastModified: value.lastModified,
        blob: value,
      });
    }
    // A Blob for the wire, or a Blob's bytes (which only the wire sends): its bytes read or
    // uploaded ahead, the bytes alone for BytesOf.
    const blob =
      value instanceof BytesOf
        ? value.blob
        : this.blobs !== undefined && isBlob(value)
          ? value
          : undefined;
    if (blob !== undefined) {
      const bytes = this.blobs?.get(blob);
      if (bytes === undefined)
        throw new BaskError(
          'ERR_SERIALIZE',
          'A File or Blob must be read before it is sent over the network',
        );
      if (blob !== value) return bytes;
      const name = (blob as Blob & { name?: unknown }).name;
      return this.mark({
        [MARK]: 'file',
        name: typeof name === 'string' ? name : undefined,
        mime: blob.type,
        bytes,
      });
    }
    const type = typeOf(value);
    if (type !== undefined) {
      const marker: Marker = {
        [MARK]: 'type',
        name: type.name,
        data: this.encode(type.encode(value)),
      };
      if (type.moduleUrl !== undefined && this.withModules) marker.module = type.moduleUrl;
      seen.set(value, marker);
      return this.mark(marker);
    }
    // Maps, Sets, Dates, Errors...: structured clone handles them (instances of registered
    // types inside Maps and Sets arrive as plain objects).
    return value;
  }

  private mark(marker: Marker): Marker {
    this.marked = true;
    return marker;
  }

  private give(buffer: ArrayBufferLike, whole: boolean): void {
    if (!whole || !(buffer instanceof ArrayBuffer) || buffer.byteLength === 0) return;
    if (!this.transfer.includes(buffer)) this.transfer.push(buffer);
  }
}

/** Decodes markers back into Refs, Tasks and instances; `fn` resolves a function reference. */
export class CloneDecoder {
  /** Modules that must be imported before decoding can finish. */
  readonly missingModules = new Set<string>();

  constructor(private readonly fn?: (ref: FnRef) => (...args: never[]) => unknown) {}

  decode(value: unknown): unknown {
    if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (item !== null && typeof item === 'object') value[i] = this.decode(item);
      }
      return value;
    }
    if (!isPlainObject(value)) return value;
    const kind = value[MARK];
    if (kind === undefined) {
      for (const k of Object.keys(value)) {
        const item = value[k];
        if (item !== null && typeof item === 'object') value[k] = this.decode(item);
      }
      return value;
    }
    return this.decodeMarker(value as Marker);
  }

  private decodeMarker(marker: Marker): unknown {
    switch (marker[MARK]) {
      case 'ref':
        return new Ref(marker.key);
      case 'task':
        return new Task(
          this.function(marker.fn, 'A task spec'),
          marker.args.map((a) => this.decode(a)),
          marker.key,
        );
      case 'fn':
        return this.function(marker.fn, 'A function');
      case 'file':
        return fileFrom(marker);
      case 'named-file':
        return namedFile(marker);
      case 'type': {
        const type = typeNamed(marker.name);
        if (type === undefined) {
          if (marker.module !== undefined) {
            this.missingModules.add(marker.module);
            return marker;
          }
          throw new BaskError(
            'ERR_SERIALIZE',
            `Received an instance of '${marker.name}', which is not registered here: call registerType(${marker.name}, ...) in a module the worker imports (or pass moduleUrl)`,
          );
        }
        return type.decode(this.decode(marker.data));
      }
      default:
        return marker;
    }
  }

  /** The callable a reference names; only spec decoders (given `fn`) resolve functions. */
  private function(ref: unknown, what: string): (...args: never[]) => unknown {
    if (this.fn === undefined)
      throw new BaskError('ERR_SERIALIZE', `${what} arrived where data was expected`);
    if (!isFnRef(ref))
      throw new BaskError('ERR_SERIALIZE', `${what} arrived with a malformed reference`);
    return this.fn(ref);
  }
}

function isFile(value: object): value is File {
  return typeof File !== 'undefined' && value instanceof File;
}

let keepsNames: boolean | undefined;

/**
 * Whether structured clone (postMessage) keeps a File a File. Browsers do; Node 20 clones it as
 * a plain Blob, without its name (then a task's error could not name the file it read), so
 * there a File travels in a marker that makes it again (`namedFile`).
 */
function clonesFileNames(): boolean {
  if (keepsNames === undefined) {
    try {
      keepsNames = structuredClone(new File([], 'f')) instanceof File;
    } catch {
      keepsNames = false;
    }
  }
  return keepsNames;
}

/** Views at most this much smaller than their buffer are posted as they are. */
const COMPACT_SLACK = 4096;

/**
 * A copy of `view` over a buffer of its own, when its buffer is more than twice its size (and
 * COMPACT_SLACK) and not shared memory; undefined when the view goes as it is.
 */
function compacted(view: ArrayBufferView): ArrayBufferView | undefined {
  const buffer = view.buffer;
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength <= 2 * view.byteLength + COMPACT_SLACK)
    return undefined;
  const bytes = buffer.slice(view.byteOffset, view.byteOffset + view.byteLength);
  if (view instanceof DataView) return new DataView(bytes);
  // The standard class of its kind (a Node Buffer arrives as a Uint8Array anyway).
  const tag = (view as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] ?? 'Uint8Array';
  const Kind = (globalThis as unknown as Record<string, new (b: ArrayBuffer) => ArrayBufferView>)[
    tag
  ];
  return Kind === undefined ? undefined : new Kind(bytes);
}

/** The File a 'named-file' marker carries, made again around its (cloned) Blob. */
function namedFile(marker: Extract<Marker, { [MARK]: 'named-file' }>): Blob {
  if (!isBlob(marker.blob))
    throw new BaskError('ERR_SERIALIZE', 'A File arrived without its contents');
  return new File([marker.blob], marker.name, {
    type: marker.mime,
    lastModified: marker.lastModified,
  });
}

/**
 * Every File/Blob inside `value` (arrays, plain objects, task args; `BytesOf`'s Blob), for
 * reading ahead.
 */
export function findBlobs(value: unknown, out: Set<Blob> = new Set()): Set<Blob> {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return out;
  if (isBlob(value)) out.add(value);
  else if (value instanceof BytesOf) out.add(value.blob);
  else if (value instanceof Task) for (const a of value.args) findBlobs(a, out);
  else if (Array.isArray(value)) for (const v of value) findBlobs(v, out);
  else if (isPlainObject(value)) for (const v of Object.values(value)) findBlobs(v, out);
  return out;
}

/** A File (or Blob where File is missing) with the bytes that were sent. */
function fileFrom(marker: Extract<Marker, { [MARK]: 'file' }>): Blob {
  // Uploaded bytes arrive in place (the scheduler put them back: uploaded.ts).
  const bytes = marker.bytes;
  if (!(bytes instanceof Uint8Array))
    throw new BaskError('ERR_SERIALIZE', 'A File arrived without its contents');
  const parts = [bytes as BlobPart];
  const FileClass = (globalThis as { File?: typeof File }).File;
  const blob =
    marker.name !== undefined && FileClass !== undefined
      ? new FileClass(parts, marker.name, { type: marker.mime })
      : new Blob(parts, { type: marker.mime });
  // The task that reads it takes these bytes instead of reading the Blob back.
  rememberBytes(blob, bytes);
  return blob;
}

/** Decodes, importing the modules of registered types first when needed. */
export async function decodeWithImports(
  value: unknown,
  importModule: (url: string) => Promise<unknown>,
): Promise<unknown> {
  let decoder = new CloneDecoder();
  let decoded = decoder.decode(value);
  while (decoder.missingModules.size > 0) {
    const modules = [...decoder.missingModules];
    await Promise.all(modules.map((m) => importModule(m)));
    decoder = new CloneDecoder();
    decoded = decoder.decode(decoded);
    if (modules.every((m) => decoder.missingModules.has(m))) {
      throw new BaskError(
        'ERR_SERIALIZE',
        `Importing ${modules.join(', ')} did not register the types it carries`,
      );
    }
  }
  return decoded;
}
