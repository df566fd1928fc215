/**
 * Task specs on the way to a worker: a `Task` becomes `{ fn: FnRef, args, marked }` (args
 * encoded by CloneEncoder: refs, nested tasks and registered types as markers), a literal
 * becomes `{ fn: null, args: [value] }`. Used by the pool for each dispatch and by a cluster
 * client once per submitted task. Unshippable functions fail here, before anything is sent.
 */
import { BaskError } from '../errors.js';
import { describeFunction, type FnRef } from '../graph/fnref.js';
import { Task } from '../graph/spec.js';
import { CloneEncoder } from './clone.js';
import type { WireSpec } from './protocol.js';

type Fn = (...args: never[]) => unknown;

/** Encodes a spec; `ship` may rewrite function references (e.g. drop sources already sent). */
export function encodeSpec(
  spec: unknown,
  key: string,
  ship: (ref: FnRef) => FnRef = (r) => r,
  blobs?: ReadonlyMap<Blob, Uint8Array>,
): WireSpec {
  const name = (fn: Fn): FnRef => ship(describeFunction(fn));
  if (!(spec instanceof Task)) {
    const encoder = new CloneEncoder(false, name, blobs);
    return { fn: null, args: [encoder.encode(spec)], marked: encoder.marked };
  }
  const fn = name(spec.fn);
  const args = spec.args;
  for (const a of args) {
    if (typeof a === 'function') {
      throw new BaskError(
        'ERR_SERIALIZE',
        `Task '${key}' has a function argument ('${a.name || 'anonymous'}'): functions are not data between workers; pass a task-module function's result instead`,
      );
    }
    if (a !== null && typeof a === 'object') {
      const encoder = new CloneEncoder(false, name, blobs);
      const encoded = args.map((x) => encoder.encode(x));
      return { fn, args: encoded, marked: encoder.marked };
    }
  }
  return { fn, args: args as unknown[], marked: false };
}
