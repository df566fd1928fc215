/**
 * Building submissions for a Client: `submit(fn, ...args, options)` calls become tasks with
 * Dask's keys (`<name>-<tokenize(fn, args)>`, pure by default), futures among the args become
 * refs to their keys, Delayed args bring their graphs along. `compute` collects the graphs of
 * Delayed values and maps each to a future of its key.
 */
import type { TaskOptions } from '../engine/types.js';
import { MAX_VERIFY } from '../engine/verify.js';
import { BaskError } from '../errors.js';
import { nodeOf } from '../delayed/delayed.js';
import { collectGraph, type DelayedNode } from '../delayed/node.js';
import type { GraphView } from '../graph/analyze.js';
import { nodeDependencies } from '../graph/deps.js';
import { Ref, Task, handleKey, isPlainObject } from '../graph/spec.js';
import { tokenize, uniqueToken } from '../graph/tokenize.js';
import { taskName } from '../graph/fnref.js';

/** Options of `client.submit` and `client.map` (Dask's names). */
export interface SubmitTaskOptions extends TaskOptions {
  /** The key, exactly (default `<function name>-<token>`). */
  key?: string;
  /** Equal calls share a key (default true, as in Dask). */
  pure?: boolean;
}

const OPTION_KEYS = new Set<string>([
  'key',
  'pure',
  'priority',
  'retries',
  'workers',
  'resources',
  'verify',
  'timeout',
] satisfies (keyof SubmitTaskOptions)[]);

const TASK_OPTION_KEYS = [
  'priority',
  'retries',
  'workers',
  'resources',
  'verify',
  'timeout',
] as const satisfies readonly (keyof TaskOptions)[];

/**
 * Checks the options a scheduler would refuse (the cluster closes the connection of a client
 * that sends invalid ones), naming the option; `where` names the call.
 */
export function checkTaskOptions(options: TaskOptions, where: string): void {
  const { verify, timeout } = options;
  if (
    verify !== undefined &&
    !(typeof verify === 'number' && Number.isInteger(verify) && verify >= 1 && verify <= MAX_VERIFY)
  )
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `${where}: verify must be an integer from 1 to ${MAX_VERIFY} (the number of distinct workers that must agree), got ${String(verify)}`,
    );
  if (
    timeout !== undefined &&
    !(typeof timeout === 'number' && Number.isFinite(timeout) && timeout > 0)
  )
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `${where}: timeout must be a positive number of milliseconds, got ${String(timeout)}`,
    );
}

/** The task options among `options` (submission-only ones like `key` and `pure` left out). */
export function taskOptionsOf(options: TaskOptions): TaskOptions {
  const out: Record<string, unknown> = {};
  for (const name of TASK_OPTION_KEYS) if (options[name] !== undefined) out[name] = options[name];
  return out;
}

/** One call of a submitted function: its args, its options, and its key prefix. */
export interface Call {
  args: unknown[];
  options: SubmitTaskOptions;
  /** The key's prefix when no key is given (default the function's name). */
  prefix?: string;
}

/** The call of `submit(fn, ...args, options?)`: trailing options are a plain object of option names. */
export function submitCall(args: readonly unknown[]): Call {
  const last = args[args.length - 1];
  if (
    isPlainObject(last) &&
    Object.keys(last).every((k) => OPTION_KEYS.has(k)) &&
    handleKey(last) === undefined
  ) {
    return { args: args.slice(0, -1), options: last };
  }
  return { args: [...args], options: {} };
}

/**
 * The calls of `map(fn, ...iterables, options?)`: the items zipped, each call ending with its
 * options (a string `key` becomes that call's key prefix, an array gives each call its key).
 */
export function mapCalls(args: readonly unknown[]): Call[] {
  const last = args[args.length - 1];
  const hasOptions = isPlainObject(last) && !isIterable(last);
  const iterables = hasOptions ? args.slice(0, -1) : [...args];
  const options = (hasOptions ? last : {}) as Omit<SubmitTaskOptions, 'key'> & {
    key?: unknown;
  };
  const unknown = Object.keys(options).filter((k) => !OPTION_KEYS.has(k));
  if (unknown.length > 0)
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `map(fn, ...iterables, options): unknown option ${unknown.join(', ')} (known: ${[...OPTION_KEYS].join(', ')})`,
    );
  if (iterables.length === 0)
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      'map(fn, ...iterables): give at least one iterable',
    );
  const columns = iterables.map((it, i) => {
    if (!isIterable(it))
      throw new BaskError(
        'ERR_INVALID_ARGUMENT',
        `map(fn, ...iterables): argument ${i + 2} is not iterable (got ${it === null ? 'null' : typeof it}); pass arrays of arguments, one item per call`,
      );
    return [...it];
  });
  const n = columns[0]?.length ?? 0;
  const uneven = columns.findIndex((c) => c.length !== n);
  if (uneven >= 0)
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `map(fn, ...iterables): the iterables differ in length (${n} and ${columns[uneven]?.length ?? 0} items); give each call one item of each`,
    );
  const { key, ...rest } = options;
  if (key !== undefined && typeof key !== 'string' && !(Array.isArray(key) && key.length === n))
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `map(fn, ...iterables, { key }): key must be a prefix string or an array of ${n} keys`,
    );
  return Array.from({ length: n }, (_, i) => {
    const own: SubmitTaskOptions = Array.isArray(key) ? { ...rest, key: String(key[i]) } : rest;
    const call: Call = { args: columns.map((c) => c[i]), options: own };
    if (typeof key === 'string') call.prefix = key;
    return call;
  });
}

function isIterable(value: unknown): value is Iterable<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'string') &&
    typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function'
  );
}

/** A submission: the graph to send, the keys wanted, and per-key options. */
export interface Submission {
  graph: GraphView;
  keys: string[];
  perKey: Map<string, TaskOptions>;
}

/** Builds tasks for `fn` applied to each call's args. */
export function buildSubmission(
  fn: (...args: never[]) => unknown,
  calls: readonly Call[],
): Submission {
  if (typeof fn !== 'function')
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `submit(fn, ...args): fn must be a function, got ${typeof fn}`,
    );
  const nodes = new Map<string, unknown>();
  const delayedRoots: DelayedNode[] = [];
  const keys: string[] = [];
  const perKey = new Map<string, TaskOptions>();
  const prefix = taskName(fn);
  for (const { args, options, prefix: own } of calls) {
    const lifted = args.map((a) => liftArg(a, delayedRoots));
    const task = new Task(fn, lifted);
    const key =
      options.key ?? `${own ?? prefix}-${options.pure === false ? uniqueToken() : tokenize(task)}`;
    nodes.set(key, task);
    keys.push(key);
    const taskOptions = taskOptionsOf(options);
    checkTaskOptions(taskOptions, `submit('${key}')`);
    if (Object.keys(taskOptions).length > 0) perKey.set(key, taskOptions);
  }
  const delayedGraph = delayedRoots.length > 0 ? collectGraph(delayedRoots) : undefined;
  const graph: GraphView = {
    get: (k) => (nodes.has(k) ? nodes.get(k) : delayedGraph?.get(k)),
    has: (k) => nodes.has(k) || (delayedGraph?.has(k) ?? false),
    deps: (k, node) =>
      nodes.has(k) ? nodeDependencies(node) : (delayedGraph?.deps(k, node) ?? []),
  };
  return { graph, keys, perKey };
}

function liftArg(value: unknown, roots: DelayedNode[]): unknown {
  const node = nodeOf(value);
  if (node !== undefined) {
    roots.push(node);
    return new Ref(node.key);
  }
  if (value === null || typeof value !== 'object') return value;
  const held = handleKey(value);
  if (held !== undefined) return new Ref(held);
  if (Array.isArray(value)) return value.map((v) => liftArg(v, roots));
  if (isPlainObject(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, liftArg(v, roots)]));
  return value;
}

/** The Delayed values inside `values` (arrays and plain objects) and their graph. */
export function findFutures(values: unknown): { graph: GraphView; roots: string[] } {
  const roots: DelayedNode[] = [];
  const walk = (v: unknown): void => {
    const node = nodeOf(v);
    if (node !== undefined) roots.push(node);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (isPlainObject(v)) Object.values(v).forEach(walk);
  };
  walk(values);
  return { graph: collectGraph(roots), roots: [...new Set(roots.map((r) => r.key))] };
}

/** `values` with each Delayed replaced by the future of its key. */
export function replaceFutures(values: unknown, futures: ReadonlyMap<string, unknown>): unknown {
  const node = nodeOf(values);
  if (node !== undefined) return futures.get(node.key);
  if (Array.isArray(values)) return values.map((v) => replaceFutures(v, futures));
  if (isPlainObject(values))
    return Object.fromEntries(
      Object.entries(values).map(([k, v]) => [k, replaceFutures(v, futures)]),
    );
  return values;
}
