/**
 * Futures inside arrays and plain objects, at any depth: finding them (`gather`, `wait`,
 * `cancel`), and replacing them by their values (`gather`), with the types of those shapes.
 * Class instances are data and are not looked into. A Delayed value persisted by
 * `client.persist` stands for its future.
 */
import { nodeOf } from '../delayed/delayed.js';
import { BaskError } from '../errors.js';
import type { DelayedMembers, HeldValue } from '../delayed/types.js';
import { isPlainObject, type KeySpec } from '../graph/spec.js';
import { Future } from './future.js';

/** The future behind a value: the value itself, or the future a persisted Delayed holds. */
export function futureOf(value: unknown): Future | undefined {
  if (value instanceof Future) return value;
  const held = nodeOf(value)?.node;
  return held instanceof Future ? held : undefined;
}

/**
 * The futures in `value` (itself, or in arrays and plain objects), in order; `persisted`:
 * also those behind persisted Delayed values.
 */
export function collectFutures(value: unknown, persisted = true): Future[] {
  const out: Future[] = [];
  const stack = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    const future = persisted ? futureOf(v) : v instanceof Future ? v : undefined;
    if (future !== undefined) out.push(future);
    else if (Array.isArray(v)) for (let i = v.length - 1; i >= 0; i--) stack.push(v[i]);
    else if (isPlainObject(v)) {
      const values = Object.values(v);
      for (let i = values.length - 1; i >= 0; i--) stack.push(values[i]);
    }
  }
  return out;
}

/** Marks what `substituteFutures` leaves out. */
const SKIPPED: unique symbol = Symbol('skipped');

/**
 * `value` with futures replaced by their values (`values` by key); futures whose keys are in
 * `skip` are left out of arrays and objects (a lone one becomes undefined).
 */
export function substituteFutures(
  value: unknown,
  values: ReadonlyMap<string, unknown>,
  skip: ReadonlySet<string>,
): unknown {
  const out = substitute(value, values, skip);
  return out === SKIPPED ? undefined : out;
}

function substitute(
  value: unknown,
  values: ReadonlyMap<string, unknown>,
  skip: ReadonlySet<string>,
): unknown {
  if (value instanceof Future) return skip.has(value.key) ? SKIPPED : values.get(value.key);
  if (Array.isArray(value))
    return value.map((v) => substitute(v, values, skip)).filter((v) => v !== SKIPPED);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const s = substitute(v, values, skip);
      if (s !== SKIPPED) out[k] = s;
    }
    return out;
  }
  return value;
}

/** Futures for the keys of a `KeySpec`, in its shape. */
export function shapeKeys(keys: KeySpec, futureOfKey: (key: string) => Future): unknown {
  if (typeof keys === 'string') return futureOfKey(keys);
  return keys.map((k) => shapeKeys(k, futureOfKey));
}

/** Every key of a `KeySpec`, flat, once each. */
export function flatKeys(keys: KeySpec): string[] {
  const out = new Set<string>();
  const stack: unknown[] = [keys];
  while (stack.length > 0) {
    const k = stack.pop();
    if (typeof k === 'string') out.add(k);
    else if (Array.isArray(k)) for (let i = k.length - 1; i >= 0; i--) stack.push(k[i]);
    else
      throw new BaskError(
        'ERR_INVALID_ARGUMENT',
        `get(graph, keys): keys must be strings or arrays of keys, got ${typeof k}`,
      );
  }
  return [...out];
}

/** Values never looked into (typed arrays have index signatures, like object literals). */
type Leaf =
  | string
  | number
  | bigint
  | boolean
  | symbol
  | null
  | undefined
  | ((...args: never[]) => unknown)
  | Date
  | RegExp
  | Error
  | Map<unknown, unknown>
  | Set<unknown>
  | ArrayBufferView
  | ArrayBuffer
  | Blob;

/**
 * The shape `gather` resolves to: futures replaced by their values, in arrays and object
 * literal types (class and interface types are data, as at run time).
 */
export type GatheredShape<T> =
  T extends HeldValue<infer U>
    ? U
    : T extends Leaf
      ? T
      : T extends readonly unknown[]
        ? { -readonly [K in keyof T]: GatheredShape<T[K]> }
        : T extends Record<string, unknown>
          ? { -readonly [K in keyof T]: GatheredShape<T[K]> }
          : T;

/** The shape `scatter` returns: one future per item of an array or entry of a plain object. */
export type ScatteredShape<T> = T extends readonly unknown[]
  ? { -readonly [K in keyof T]: Future<T[K]> }
  : T extends Leaf
    ? Future<T>
    : T extends Record<string, unknown>
      ? { -readonly [K in keyof T]: Future<T[K]> }
      : Future<T>;

/** The shape `client.compute` returns: each Delayed replaced by a future of its value. */
export type FuturesOf<T> =
  T extends DelayedMembers<infer U>
    ? Future<U>
    : T extends Leaf | Future<unknown>
      ? T
      : T extends readonly unknown[]
        ? { -readonly [K in keyof T]: FuturesOf<T[K]> }
        : T extends Record<string, unknown>
          ? { -readonly [K in keyof T]: FuturesOf<T[K]> }
          : T;

/** The shape `client.get` returns: a future per key, in the keys' shape. */
export type KeyFutures<K> = K extends string
  ? Future<unknown>
  : K extends readonly unknown[]
    ? { -readonly [I in keyof K]: KeyFutures<K[I]> }
    : never;

/** The futures in a value: one, an iterable of them, or arrays and plain objects holding them. */
export function futuresIn(value: Future | Iterable<Future> | object): Future[] {
  if (value instanceof Future || Array.isArray(value)) return collectFutures(value);
  if (typeof (value as Partial<Iterable<Future>>)[Symbol.iterator] === 'function')
    return collectFutures([...(value as Iterable<Future>)]);
  return collectFutures(value);
}
