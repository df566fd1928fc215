/**
 * The low-level graph spec: Dask's graph dict in TypeScript, without its string ambiguity.
 *
 * A graph maps string keys to nodes. A node is one of:
 * - `task(fn, ...args)`: call `fn` with `args`; args may hold `ref(key)`s and nested tasks, inside
 *   arrays and plain objects, at any depth;
 * - `alias(key)`: the value of another key;
 * - anything else: a literal value. Arrays and plain objects in it may hold refs and tasks, at
 *   any depth; those are evaluated in place, as Dask evaluates `[1, (inc, 1)]` to `[1, 2]`.
 *
 * Strings are always data: only `Ref` marks a dependency. Nodes are immutable plain objects so
 * that graphs can be built fast, shared, and shipped.
 */

/** A call of `fn` with `args`, evaluated lazily by a scheduler. */
export class Task<R = unknown> {
  /** The function to call (a plain function, a task-module export, or a built-in op). */
  readonly fn: (...args: never[]) => R | PromiseLike<R>;
  /** The arguments, possibly holding `Ref`s and nested `Task`s. */
  readonly args: readonly unknown[];
  /** For a task nested by fusion: the key it had, so that its errors still name it. */
  readonly key: string | undefined;

  constructor(
    fn: (...args: never[]) => R | PromiseLike<R>,
    args: readonly unknown[],
    key?: string,
  ) {
    this.fn = fn;
    this.args = args;
    this.key = key;
  }
}

/** A reference to the value of another key, inside a task's arguments or a literal. */
export class Ref {
  constructor(readonly key: string) {}
}

/** A node whose value is the value of another key. */
export class Alias {
  constructor(readonly key: string) {}
}

/**
 * Objects that stand for a key held elsewhere (a cluster Future) expose it under this symbol;
 * inside task args they become `Ref`s to that key.
 */
export const KEY_HANDLE: unique symbol = Symbol.for('bask.keyHandle') as never;

/** The key of a key handle (a Future), or undefined. */
export function handleKey(value: object): string | undefined {
  const key = (value as { [KEY_HANDLE]?: unknown })[KEY_HANDLE];
  return typeof key === 'string' ? key : undefined;
}

/** A graph: an object or a Map from key to node. */
export type Graph = Readonly<Record<string, unknown>> | ReadonlyMap<string, unknown>;

/** Keys as `get` accepts them: one key, or (nested) arrays of keys. */
export type KeySpec = string | readonly KeySpec[];

/** Builds a task node: `task(add, ref('x'), 1)`. */
export function task<A extends unknown[], R>(
  fn: (...args: A) => R | PromiseLike<R>,
  ...args: { [I in keyof A]: unknown }
): Task<R> {
  if (typeof fn !== 'function') {
    throw new TypeError(`task(fn, ...args): fn must be a function, got ${describeValue(fn)}`);
  }
  return new Task(fn as unknown as (...args: never[]) => R, args);
}

/** Marks a dependency on the value of `key` inside a task's args or a literal. */
export function ref(key: string): Ref {
  if (typeof key !== 'string') {
    throw new TypeError(`ref(key): key must be a string, got ${describeValue(key)}`);
  }
  return new Ref(key);
}

/** Builds an alias node: the value of `key` under another name. */
export function alias(key: string): Alias {
  if (typeof key !== 'string') {
    throw new TypeError(`alias(key): key must be a string, got ${describeValue(key)}`);
  }
  return new Alias(key);
}

/** True for arrays and objects whose prototype is Object.prototype or null. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Maps the items of an array, or the values of a plain object, copy-on-write: returns `value`
 * itself when `fn` changed nothing (so untouched literals are never copied), otherwise a new
 * array or object. Anything else is returned unchanged, without calling `fn`.
 */
export function mapContainer(value: unknown, fn: (item: unknown) => unknown): unknown {
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const mapped = fn(item);
      if (mapped !== item && out === undefined) out = value.slice(0, i);
      if (out !== undefined) out.push(mapped);
    }
    return out ?? value;
  }
  if (isPlainObject(value)) {
    let out: Record<string, unknown> | undefined;
    for (const k of Object.keys(value)) {
      const item = value[k];
      const mapped = fn(item);
      if (mapped !== item && out === undefined) out = { ...value };
      if (out !== undefined) out[k] = mapped;
    }
    return out ?? value;
  }
  return value;
}

/** A short description of a value for error messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  if (typeof value !== 'object') return `${typeof value}`;
  const name = (value as { constructor?: { name?: string } }).constructor?.name;
  return Array.isArray(value) ? `array(${value.length})` : `object ${name ?? 'Object'}`;
}
