/**
 * Task specs on the way to a worker: a `Task` becomes `{ fn: FnRef, args, marked }` (args
 * encoded by CloneEncoder: refs, nested tasks, callbacks and registered types as markers), a
 * literal becomes `{ fn: null, args: [value] }`. Used by the pool for each dispatch and by a
 * cluster client once per submitted task. Functions anywhere in a spec (the task's own, nested
 * tasks', callbacks in args) are named by `describeFunction` and `ship`, so unshippable ones fail
 * here, before anything is sent.
 */
import { BaskError } from '../errors.js';
import { describeFunction, type FnRef } from '../graph/fnref.js';
import { Task } from '../graph/spec.js';
import { CloneEncoder, type BlobContents } from './clone.js';
import type { WireSpec } from './protocol.js';

/** A task's function, or a callback among its args. */
export type Fn = (...args: never[]) => unknown;

/** Options of {@link encodeSpec}. */
export interface EncodeSpecOptions {
  /**
   * Names a function as it goes to the worker (default `describeFunction`): a caller that
   * keeps the functions it sent names them by hash after the first time.
   */
  name?: (fn: Fn) => FnRef;
  /** Bytes of Files and Blobs to send instead of them (see CloneEncoder). */
  blobs?: BlobContents | undefined;
  /** Where to put the handed-over buffers its args hold, to move them (pools of threads). */
  handedOver?: Transferable[];
  /**
   * For the wire (msgpack), not structured clone: views go as they are (the codec copies
   * only their bytes), see CloneEncoder's `compactViews`.
   */
  wire?: boolean;
}

/** Encodes a spec for a worker (see the header). */
export function encodeSpec(spec: unknown, key: string, options: EncodeSpecOptions = {}): WireSpec {
  const name = options.name ?? describeFunction;
  try {
    return encodeWith(spec, name, options);
  } catch (error) {
    // Name the task whose function, callback or args cannot be sent (the encoder does not
    // know it).
    if (!(error instanceof BaskError) || error.key !== undefined) throw error;
    const named = new BaskError(error.code, `Task '${key}': ${error.message}`, {
      key,
      cause: error.cause,
    });
    named.stack = error.stack?.replace(error.message, named.message);
    throw named;
  }
}

function encodeWith(spec: unknown, name: (fn: Fn) => FnRef, options: EncodeSpecOptions): WireSpec {
  const encoder = (): CloneEncoder => {
    const e = new CloneEncoder(false, name, options.blobs, options.handedOver);
    if (options.wire === true) e.compactViews = false;
    return e;
  };
  if (!(spec instanceof Task)) {
    const e = encoder();
    return { fn: null, args: [e.encode(spec)], marked: e.marked };
  }
  const fn = name(spec.fn);
  const args = spec.args;
  for (const a of args) {
    // Containers may hold refs, tasks or types; functions are callbacks: both need encoding.
    if (a !== null && (typeof a === 'object' || typeof a === 'function')) {
      const e = encoder();
      const encoded = args.map((x) => e.encode(x));
      return { fn, args: encoded, marked: e.marked };
    }
  }
  return { fn, args: args as unknown[], marked: false };
}
