/**
 * Built-in ops: the functions that `Delayed` records for attribute access, method calls,
 * index access and arithmetic. They are known by name on every side, so they never ship.
 *
 * Policy for arithmetic: `add(a, b)` calls `a.add(b)` when `a` has such a method (a Series, a
 * Set, a BigNumber), else applies the operator. Comparisons do the same with `lt`, `eq`, ...
 */

/** Reads a property or an index: `obj[name]`. */
export function getattr(obj: unknown, name: string | number): unknown {
  if (obj === null || obj === undefined) {
    throw new TypeError(`Cannot read property '${String(name)}' of ${String(obj)}`);
  }
  return (obj as Record<string | number, unknown>)[name];
}

/** Calls a method with `this` bound: `obj[name](...args)`. */
export function methodcall(obj: unknown, name: string, ...args: unknown[]): unknown {
  if (obj === null || obj === undefined) {
    throw new TypeError(`Cannot call method '${name}' of ${String(obj)}`);
  }
  const method = (obj as Record<string, unknown>)[name];
  if (typeof method !== 'function') {
    const type = (obj as { constructor?: { name?: string } }).constructor?.name ?? typeof obj;
    throw new TypeError(`${type}.${name} is not a function`);
  }
  return (method as (...a: unknown[]) => unknown).apply(obj, args);
}

/** Calls a function value: `fn(...args)`. */
export function call(fn: unknown, ...args: unknown[]): unknown {
  if (typeof fn !== 'function') throw new TypeError(`${String(fn)} is not a function`);
  return (fn as (...a: unknown[]) => unknown)(...args);
}

/** Returns its argument: the op behind `delayed(value)` with dependencies inside. */
export function identity<T>(value: T): T {
  return value;
}

type Binary = (a: never, b: never) => unknown;

function binary(name: string, apply: (a: number, b: number) => unknown): Binary {
  const op = (a: unknown, b: unknown): unknown => {
    const method =
      a !== null && typeof a === 'object' ? (a as Record<string, unknown>)[name] : undefined;
    if (typeof method === 'function') return (method as (x: unknown) => unknown).call(a, b);
    return apply(a as number, b as number);
  };
  Object.defineProperty(op, 'name', { value: name });
  return op;
}

function unary(name: string, apply: (a: number) => unknown): (a: never) => unknown {
  const op = (a: unknown): unknown => {
    const method =
      a !== null && typeof a === 'object' ? (a as Record<string, unknown>)[name] : undefined;
    if (typeof method === 'function') return (method as () => unknown).call(a);
    return apply(a as number);
  };
  Object.defineProperty(op, 'name', { value: name });
  return op;
}

/** Arithmetic and comparison ops, by the method names `Delayed` exposes. */
export const binaryOps = {
  add: binary('add', (a, b) => a + b),
  sub: binary('sub', (a, b) => a - b),
  mul: binary('mul', (a, b) => a * b),
  div: binary('div', (a, b) => a / b),
  mod: binary('mod', (a, b) => a % b),
  pow: binary('pow', (a, b) => a ** b),
  lt: binary('lt', (a, b) => a < b),
  le: binary('le', (a, b) => a <= b),
  gt: binary('gt', (a, b) => a > b),
  ge: binary('ge', (a, b) => a >= b),
  eq: binary('eq', (a, b) => a === b),
  ne: binary('ne', (a, b) => a !== b),
  and: binary('and', (a, b) => a && b),
  or: binary('or', (a, b) => a || b),
} as const;

/** Unary ops, by the method names `Delayed` exposes. */
export const unaryOps = {
  neg: unary('neg', (a) => -a),
  not: unary('not', (a) => !a),
  abs: unary('abs', (a) => (typeof a === 'bigint' ? (a < 0n ? -a : a) : Math.abs(a))),
} as const;

/** The names of the binary ops. */
export type BinaryOpName = keyof typeof binaryOps;
/** The names of the unary ops. */
export type UnaryOpName = keyof typeof unaryOps;

/** Every built-in op by its stable name (the name that goes on the wire). */
export const builtinOps: ReadonlyMap<string, (...args: never[]) => unknown> = new Map<
  string,
  (...args: never[]) => unknown
>([
  ['getattr', getattr],
  ['methodcall', methodcall],
  ['call', call],
  ['identity', identity],
  ...Object.entries(binaryOps).map(([k, f]) => [`op.${k}`, f] as [string, Binary]),
  ...Object.entries(unaryOps).map(([k, f]) => [`op.${k}`, f] as [string, (a: never) => unknown]),
]);
