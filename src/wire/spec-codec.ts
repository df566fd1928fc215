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

type Fn = (...args: never[]) => unknown;

/**
 * Encodes a spec; `ship` may rewrite function references (e.g. drop sources already sent).
 * `handedOver`: where to put the handed-over buffers its args hold, to move them (pools of
 * threads; see CloneEncoder).
 */
export function encodeSpec(
  spec: unknown,
  key: string,
  ship: (ref: FnRef) => FnRef = (r) => r,
  blobs?: BlobContents,
  handedOver?: Transferable[],
): WireSpec {
  const name = (fn: Fn): FnRef => ship(describeFunction(fn));
  try {
    return encodeWith(spec, name, blobs, handedOver);
  } catch (error) {
    // Name the task whose function, callback or args cannot be sent (the encoder does not
    // know it).
    if (!(error instanceof BaskError) || error.key !== undefined) throw error;
    throw new BaskError(error.code, `Task '${key}': ${error.message}`, { key, cause: error.cause });
  }
}

function encodeWith(
  spec: unknown,
  name: (fn: Fn) => FnRef,
  blobs: BlobContents | undefined,
  handedOver: Transferable[] | undefined,
): WireSpec {
  if (!(spec instanceof Task)) {
    const encoder = new CloneEncoder(false, name, blobs, handedOver);
    return { fn: null, args: [encoder.encode(spec)], marked: encoder.marked };
  }
  const fn = name(spec.fn);
  const args = spec.args;
  for (const a of args) {
    // Containers may hold refs, tasks or types; functions are callbacks: both need encoding.
    if (a !== null && (typeof a === 'object' || typeof a === 'function')) {
      const encoder = new CloneEncoder(false, name, blobs, handedOver);
      const encoded = args.map((x) => encoder.encode(x));
      return { fn, args: encoded, marked: encoder.marked };
    }
  }
  return { fn, args: args as unknown[], marked: false };
}
