/**
 * `delayed`: the lazy user API. A delayed call records a task instead of running it and
 * returns a `Delayed` proxy; attribute access, index access, method calls and arithmetic
 * methods on the proxy record further tasks.
 *
 * Keys read like Dask's: `<function name>-<token>` (`<type>-<token>` for `delayed(value)`),
 * exactly `name` when given. The token is deterministic when pure (`tokenize`) and unique
 * otherwise; calls and values follow `pure` (default: config `delayedPure`, else impure, as in
 * Dask). Attribute and index access and arithmetic are always pure (the same access twice is
 * one task); method calls follow config `delayedPure`.
 *
 * Delayed values are honest: not thenable (`then` reads as undefined, so `await d` and
 * `Promise.resolve(d)` give `d` itself, as for any value that is not a promise), immutable,
 * no number or string value, not iterable without `nout`. Each misuse that JavaScript lets a
 * proxy see is a TypeError that says what to do instead.
 */
import { config } from '../config.js';
import { BaskError } from '../errors.js';
import { binaryOps, call, getattr, identity, methodcall, unaryOps } from '../graph/ops.js';
import { Ref, Task, handleKey, mapContainer } from '../graph/spec.js';
import { tokenize, uniqueToken } from '../graph/tokenize.js';
import { taskName } from '../graph/fnref.js';
import { getDelayedBackend } from './backend.js';
import { DelayedNode } from './node.js';
import type { Computed, ComputeOptions, Delayed, DelayedArgs, VisualizeOptions } from './types.js';

const NODE: unique symbol = Symbol('bask.delayedNode') as never;
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** Options of `delayed`. */
export interface DelayedOptions {
  /** The key to use, exactly (default `<function name>-<token>`). */
  name?: string;
  /** Equal calls (or equal values) get equal keys (default: config `delayedPure`, else false). */
  pure?: boolean;
  /** The result has this many items and can be destructured: `const [a, b] = ...`. */
  nout?: number;
}

/** A Delayed holding a fixed-length result, destructurable into its items. */
export type DelayedTuple<T> = Delayed<T> &
  (T extends readonly unknown[] ? { readonly [K in keyof T]: Delayed<T[K]> } : unknown) &
  Iterable<Delayed<T extends readonly unknown[] ? T[number] : unknown>>;

type AnyFunction = (...args: never[]) => unknown;

/** Wraps a function: calling the result records a task. */
export function delayed<A extends unknown[], R>(
  fn: (...args: A) => R,
  options: DelayedOptions & { nout: number },
): (...args: DelayedArgs<A>) => DelayedTuple<Awaited<R>>;
export function delayed<A extends unknown[], R>(
  fn: (...args: A) => R,
  options?: DelayedOptions,
): (...args: DelayedArgs<A>) => Delayed<Awaited<R>>;
/** Wraps a value (arrays and objects holding Delayed values become tasks). */
export function delayed<T>(value: T, options?: DelayedOptions): Delayed<Computed<T>>;
export function delayed(value: unknown, options: DelayedOptions = {}): unknown {
  checkOptions(options);
  if (isDelayed(value)) return value;
  if (typeof value === 'function') return delayedFunction(value as AnyFunction, options);
  return wrapValue(value, options);
}

function checkOptions(options: DelayedOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new BaskError('ERR_INVALID_ARGUMENT', 'delayed(fn, options): options must be an object');
  }
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
    throw new BaskError('ERR_INVALID_ARGUMENT', 'delayed options.name must be a non-empty string');
  }
  if (options.nout !== undefined && !(Number.isInteger(options.nout) && options.nout >= 0)) {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `delayed options.nout must be a non-negative integer, got ${String(options.nout)}`,
    );
  }
}

function delayedFunction(
  fn: AnyFunction,
  options: DelayedOptions,
): (...args: unknown[]) => unknown {
  const prefix = taskName(fn);
  const wrapper = (...args: unknown[]): unknown => {
    // As in Dask, the config in effect at the call decides (not the one at wrapping).
    const pure = options.pure ?? config.get('delayedPure') ?? false;
    const deps: DelayedNode[] = [];
    const lifted = liftArgs(args, deps);
    const task = new Task(fn, lifted);
    const key = options.name ?? `${prefix}-${pure ? tokenize(task) : uniqueToken()}`;
    return makeDelayed(new DelayedNode(key, task, deps, options.nout));
  };
  Object.defineProperty(wrapper, 'name', { value: `delayed(${prefix})` });
  return wrapper;
}

function wrapValue(value: unknown, options: DelayedOptions): unknown {
  const deps: DelayedNode[] = [];
  const lifted = lift(value, deps);
  const node = deps.length > 0 ? new Task(identity, [lifted]) : value;
  const typeName = Array.isArray(value)
    ? 'array'
    : value === null
      ? 'null'
      : typeof value === 'object'
        ? (value.constructor?.name ?? 'object').toLowerCase()
        : typeof value;
  const pure = options.pure ?? config.get('delayedPure') ?? false;
  const key = options.name ?? `${typeName}-${pure ? tokenize(node) : uniqueToken()}`;
  return makeDelayed(new DelayedNode(key, node, deps, options.nout));
}

// ---- lifting args: Delayed -> Ref ------------------------------------------------------------

function liftArgs(args: readonly unknown[], deps: DelayedNode[]): unknown[] {
  const out = new Array<unknown>(args.length);
  for (let i = 0; i < args.length; i++) out[i] = lift(args[i], deps);
  return out;
}

function lift(value: unknown, deps: DelayedNode[]): unknown {
  if (typeof value === 'function') {
    const node = nodeOf(value);
    if (node === undefined) return value;
    if (!deps.includes(node)) deps.push(node);
    return new Ref(node.key);
  }
  if (value === null || typeof value !== 'object') return value;
  const held = handleKey(value);
  if (held !== undefined) return new Ref(held);
  return mapContainer(value, (item) => lift(item, deps));
}

// ---- the proxies -------------------------------------------------------------------------------

type Target = (() => DelayedNode) & { parent?: DelayedNode; attr?: string };

/** True when `value` is a Delayed proxy. */
export function isDelayed(value: unknown): value is Delayed<unknown> {
  return nodeOf(value) !== undefined;
}

/** The node behind a Delayed proxy, or undefined for anything else. */
export function nodeOf(value: unknown): DelayedNode | undefined {
  if (typeof value !== 'function') return undefined;
  const node = (value as unknown as Record<symbol, unknown>)[NODE];
  return node instanceof DelayedNode ? node : undefined;
}

/** Makes a Delayed proxy for a node. */
export function makeDelayed(node: DelayedNode): unknown {
  return new Proxy(() => node, valueHandler);
}

function makeAttribute(parent: DelayedNode, name: string): unknown {
  let node: DelayedNode | undefined;
  const target: Target = () => (node ??= attributeNode(parent, name));
  target.parent = parent;
  target.attr = name;
  return new Proxy(target, attributeHandler);
}

function attributeNode(parent: DelayedNode, name: string): DelayedNode {
  const isIndex = /^(0|[1-9]\d*)$/.test(name);
  const arg = isIndex ? Number(name) : name;
  const task = new Task(getattr, [new Ref(parent.key), arg]);
  return new DelayedNode(
    `${isIndex ? 'getitem' : name}-${tokenize(parent.key, arg)}`,
    task,
    [parent],
    undefined,
  );
}

function methodNode(parent: DelayedNode, name: string, args: unknown[]): DelayedNode {
  const deps: DelayedNode[] = [parent];
  const task = new Task(methodcall, [new Ref(parent.key), name, ...liftArgs(args, deps)]);
  const pure = config.get('delayedPure') ?? false;
  return new DelayedNode(`${name}-${pure ? tokenize(task) : uniqueToken()}`, task, deps, undefined);
}

function operatorNode(name: string, operands: unknown[]): DelayedNode {
  const op =
    (binaryOps as Record<string, AnyFunction>)[name] ??
    (unaryOps as Record<string, AnyFunction>)[name];
  const deps: DelayedNode[] = [];
  const task = new Task(op as AnyFunction, liftArgs(operands, deps));
  return new DelayedNode(`${name}-${tokenize(task)}`, task, deps, undefined);
}

const OPERATORS = new Set([...Object.keys(binaryOps), ...Object.keys(unaryOps)]);

function immutable(): never {
  throw new TypeError(
    'Delayed objects are immutable: compute the new value with a delayed function instead',
  );
}

function ownMember(node: () => DelayedNode, prop: string, receiver: unknown): unknown {
  switch (prop) {
    case 'key':
      return node().key;
    case 'compute':
      return (options?: ComputeOptions) =>
        getDelayedBackend()
          .compute([receiver], options ?? {})
          .then((r) => r[0]);
    case 'persist':
      return (options?: ComputeOptions) =>
        getDelayedBackend()
          .persist([receiver], options ?? {})
          .then((r) => r[0]);
    case 'visualize':
      return (options?: VisualizeOptions) =>
        getDelayedBackend().visualize([receiver], options ?? {});
    case 'toString':
      return () => `Delayed('${node().key}')`;
    case 'then':
      // Not a promise, and not pretending to be one: `await d` gives d (use `d.compute()`).
      return undefined;
    case 'toJSON':
      throw new TypeError(
        `Delayed('${node().key}') has no value to serialize yet: compute it first`,
      );
    default:
      return NOT_OWN;
  }
}

const NOT_OWN = Symbol('not own');

function symbolMember(node: () => DelayedNode, prop: symbol): unknown {
  if (prop === NODE) return node();
  if (prop === Symbol.toPrimitive) {
    throw new TypeError(
      `Delayed('${node().key}') has no value yet, so it cannot be used in conditions, comparisons, ` +
        `arithmetic or strings: compute it first, or use lazy methods such as .add(), .lt(), .eq()`,
    );
  }
  if (prop === Symbol.iterator) {
    const n = node();
    if (n.nout === undefined) {
      throw new TypeError(
        `Delayed('${n.key}') has no known length, so it cannot be iterated or destructured: ` +
          'pass { nout } to delayed(), or index it (d[0])',
      );
    }
    const count = n.nout;
    return function* items(): Generator<unknown> {
      for (let i = 0; i < count; i++) yield makeAttribute(n, String(i));
    };
  }
  if (prop === Symbol.toStringTag) return 'Delayed';
  if (prop === INSPECT) return () => `Delayed('${node().key}')`;
  return undefined;
}

const baseHandler: ProxyHandler<Target> = {
  get(target, prop, receiver) {
    if (typeof prop === 'symbol') return symbolMember(target, prop);
    const own = ownMember(target, prop, receiver);
    if (own !== NOT_OWN) return own;
    if (OPERATORS.has(prop))
      return (...operands: unknown[]) => makeDelayed(operatorNode(prop, [receiver, ...operands]));
    return makeAttribute(target(), prop);
  },
  set: immutable,
  defineProperty: immutable,
  deleteProperty: immutable,
  setPrototypeOf: immutable,
  has(_target, prop) {
    return prop === 'key' || prop === 'compute' || prop === 'persist' || prop === 'visualize';
  },
  ownKeys() {
    return [];
  },
  getOwnPropertyDescriptor() {
    return undefined;
  },
};

const valueHandler: ProxyHandler<Target> = {
  ...baseHandler,
  apply(target, _this, args: unknown[]) {
    const fnNode = target();
    const deps: DelayedNode[] = [fnNode];
    const task = new Task(call, [new Ref(fnNode.key), ...liftArgs(args, deps)]);
    return makeDelayed(new DelayedNode(`call-${uniqueToken()}`, task, deps, undefined));
  },
};

const attributeHandler: ProxyHandler<Target> = {
  ...baseHandler,
  apply(target, _this, args: unknown[]) {
    return makeDelayed(methodNode(target.parent as DelayedNode, target.attr as string, args));
  },
};
