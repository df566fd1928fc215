/**
 * Building submissions for a Client: `submit(fn, ...args, options)` calls become tasks with
 * Dask's keys (`<name>-<tokenize(fn, args)>`, pure by default), futures among the args become
 * refs to their keys, Delayed args bring their graphs along. `compute` collects the graphs of
 * Delayed values and maps each to a future of its key.
 *
 * Trailing options (JavaScript has no keyword arguments): the last argument of `submit` is
 * its options when it is a plain object whose keys are all option names (`{}` included). A
 * plain object that mixes option names with other keys is refused with ERR_INVALID_ARGUMENT
 * naming the others (a misspelt option, or data that needs an options object after it). To
 * pass a plain object as the last argument, follow it with options: `submit(fn, data, {})`.
 */
import type { TaskOptions } from '../engine/types.js';
import { MAX_VERIFY } from '../engine/verify.js';
import { BaskError } from '../errors.js';
import { nodeOf } from '../delayed/delayed.js';
import { collectGraph, type DelayedNode } from '../delayed/node.js';
import type { GraphView } from '../graph/analyze.js';
import { nodeDependencies } from '../graph/deps.js';
import { Task, handleKey, isPlainObject } from '../graph/spec.js';
import { tokenize, uniqueToken } from '../graph/tokenize.js';
import { taskName } from '../graph/fnref.js';
import { HandleKeys, liftValue } from './handles.js';

/**
 * Task options as the client takes them (Dask's names, in camelCase): `workers` may also be
 * one name. They apply to every task a call sends (`compute`, `persist`, `get`).
 */
export interface ClientTaskOptions extends Omit<TaskOptions, 'workers'> {
  /** Only these workers (names of worker processes or threads) may run the tasks. */
  workers?: string | readonly string[];
}

/** Options of `client.submit` and `client.map`. */
export interface SubmitTaskOptions extends ClientTaskOptions {
  /** The key, exactly (default `<function name>-<token>`). */
  key?: string;
  /** Equal calls share a key (default true, as in Dask). */
  pure?: boolean;
}

/** The per-task options, as `TaskOptions` names them. */
export const TASK_OPTION_KEYS = [
  'priority',
  'retries',
  'workers',
  'allowOtherWorkers',
  'resources',
  'verify',
  'timeout',
] as const satisfies readonly (keyof TaskOptions)[];

const OPTION_KEYS = new Set<string>(['key', 'pure', ...TASK_OPTION_KEYS]);

/** Limits the scheduler enforces (server/scheduler/validate.ts), checked before sending. */
const MAX_RETRIES = 100;
const MAX_NAME = 256;

/** Throws ERR_INVALID_ARGUMENT naming the option; `where` names the call. */
function invalid(where: string, message: string): never {
  throw new BaskError('ERR_INVALID_ARGUMENT', `${where}: ${message}`);
}

/**
 * Checks the options a scheduler would refuse (the cluster closes the connection of a client
 * that sends invalid ones), naming the option; `where` names the call.
 */
export function checkTaskOptions(options: TaskOptions, where: string): void {
  const { verify, timeout, priority, retries, workers, allowOtherWorkers, resources } = options;
  if (
    verify !== undefined &&
    !(typeof verify === 'number' && Number.isInteger(verify) && verify >= 1 && verify <= MAX_VERIFY)
  )
    invalid(
      where,
      `verify must be an integer from 1 to ${MAX_VERIFY} (the number of distinct workers that must agree), got ${String(verify)}`,
    );
  if (
    timeout !== undefined &&
    !(typeof timeout === 'number' && Number.isFinite(timeout) && timeout > 0)
  )
    invalid(where, `timeout must be a positive number of milliseconds, got ${String(timeout)}`);
  if (priority !== undefined && !(typeof priority === 'number' && Number.isFinite(priority)))
    invalid(where, `priority must be a finite number, got ${String(priority)}`);
  if (
    retries !== undefined &&
    !(typeof retries === 'number' && Number.isInteger(retries) && retries >= 0)
  )
    invalid(where, `retries must be a non-negative integer, got ${String(retries)}`);
  if (retries !== undefined && retries > MAX_RETRIES)
    invalid(where, `retries must be at most ${MAX_RETRIES}, got ${retries}`);
  if (
    workers !== undefined &&
    !(
      Array.isArray(workers) &&
      workers.every((w) => typeof w === 'string' && w !== '' && w.length <= MAX_NAME)
    )
  )
    invalid(where, 'workers must be a worker name or an array of worker names');
  if (allowOtherWorkers !== undefined) {
    if (typeof allowOtherWorkers !== 'boolean')
      invalid(where, `allowOtherWorkers must be true or false, got ${String(allowOtherWorkers)}`);
    if (workers === undefined)
      invalid(where, 'allowOtherWorkers only applies with workers: name the workers to prefer');
  }
  if (
    resources !== undefined &&
    !(
      isPlainObject(resources) &&
      Object.values(resources).every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0)
    )
  )
    invalid(where, 'resources must map resource names to non-negative numbers ({ GPU: 1 })');
}

/**
 * The task options among `options` (submission-only ones like `key` and `pure` left out); a
 * single worker name becomes a list of one.
 */
export function taskOptionsOf(options: ClientTaskOptions): TaskOptions {
  const out: Record<string, unknown> = {};
  const source = options as Record<string, unknown>;
  for (const name of TASK_OPTION_KEYS) if (source[name] !== undefined) out[name] = source[name];
  if (typeof out['workers'] === 'string') out['workers'] = [out['workers']];
  return out;
}

/** Refuses keys of an options object that are not options, naming them. */
function checkOptionKeys(options: object, where: string): void {
  const unknown = Object.keys(options).filter((k) => !OPTION_KEYS.has(k));
  if (unknown.length > 0)
    invalid(
      where,
      `unknown option ${unknown.map((k) => `'${k}'`).join(', ')} (known: ${[...OPTION_KEYS].join(', ')})`,
    );
}

/** One call of a submitted function: its args, its options, and its key prefix. */
export interface Call {
  args: unknown[];
  options: SubmitTaskOptions;
  /** The key's prefix when no key is given (default the function's name). */
  prefix?: string;
}

/**
 * The call of `submit(fn, ...args, options?)`: trailing options are a plain object of option
 * names only; one mixing option names with other keys is refused (see the module header).
 */
export function submitCall(args: readonly unknown[]): Call {
  const last = args[args.length - 1];
  if (!isPlainObject(last) || handleKey(last) !== undefined)
    return { args: [...args], options: {} };
  const keys = Object.keys(last);
  const known = keys.filter((k) => OPTION_KEYS.has(k));
  if (known.length === keys.length) return { args: args.slice(0, -1), options: last };
  if (known.length === 0) return { args: [...args], options: {} };
  const unknown = keys.filter((k) => !OPTION_KEYS.has(k));
  return invalid(
    'submit(fn, ...args, options)',
    `unknown option ${unknown.map((k) => `'${k}'`).join(', ')} beside ${known.map((k) => `'${k}'`).join(', ')} ` +
      `(known: ${[...OPTION_KEYS].join(', ')}). To pass a plain object as the last argument, add options after it: submit(fn, data, {})`,
  );
}

/**
 * The calls of `map(fn, ...iterables, options?)`: the items zipped, each call ending with its
 * options (a string `key` becomes that call's key prefix, an array gives each call its key).
 * Plain objects are not iterable, so a trailing one is always the options.
 */
export function mapCalls(args: readonly unknown[]): Call[] {
  const last = args[args.length - 1];
  const hasOptions = isPlainObject(last) && !isIterable(last);
  const iterables = hasOptions ? args.slice(0, -1) : [...args];
  const options = (hasOptions ? last : {}) as Omit<SubmitTaskOptions, 'key'> & {
    key?: unknown;
  };
  checkOptionKeys(options, 'map(fn, ...iterables, options)');
  if (iterables.length === 0) invalid('map(fn, ...iterables)', 'give at least one iterable');
  const columns = iterables.map((it, i) => {
    if (!isIterable(it))
      invalid(
        'map(fn, ...iterables)',
        `argument ${i + 2} is not iterable (got ${it === null ? 'null' : typeof it}); pass arrays of arguments, one item per call`,
      );
    return [...it];
  });
  const n = columns[0]?.length ?? 0;
  const uneven = columns.findIndex((c) => c.length !== n);
  if (uneven >= 0)
    invalid(
      'map(fn, ...iterables)',
      `the iterables differ in length (${n} and ${columns[uneven]?.length ?? 0} items); give each call one item of each`,
    );
  const { key, ...rest } = options;
  if (key !== undefined && typeof key !== 'string' && !(Array.isArray(key) && key.length === n))
    invalid(
      'map(fn, ...iterables, { key })',
      `key must be a prefix string or an array of ${n} keys`,
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

/** A submission: the graph to send, the keys wanted, per-key options, the futures among args. */
export interface Submission {
  graph: GraphView;
  keys: string[];
  perKey: Map<string, TaskOptions>;
  /** The futures met among the args (and which of them were cancelled). */
  handles: HandleKeys;
}

/** Builds tasks for `fn` applied to each call's args. */
export function buildSubmission(
  fn: (...args: never[]) => unknown,
  calls: readonly Call[],
): Submission {
  if (typeof fn !== 'function')
    invalid('submit(fn, ...args)', `fn must be a function, got ${typeof fn}`);
  const nodes = new Map<string, unknown>();
  const handles = new HandleKeys();
  const keys: string[] = [];
  const perKey = new Map<string, TaskOptions>();
  const prefix = taskName(fn);
  for (const { args, options, prefix: own } of calls) {
    const task = new Task(
      fn,
      args.map((a) => liftValue(a, handles, true)),
    );
    if (options.key !== undefined && (typeof options.key !== 'string' || options.key === ''))
      invalid('submit(..., { key })', `key must be a non-empty string`);
    if (options.pure !== undefined && typeof options.pure !== 'boolean')
      invalid('submit(..., { pure })', `pure must be true or false`);
    const key =
      options.key ?? `${own ?? prefix}-${options.pure === false ? uniqueToken() : tokenize(task)}`;
    nodes.set(key, task);
    keys.push(key);
    const taskOptions = taskOptionsOf(options);
    checkTaskOptions(taskOptions, `submit('${key}')`);
    if (Object.keys(taskOptions).length > 0) perKey.set(key, taskOptions);
  }
  const delayedGraph = handles.delayed.length > 0 ? collectGraph(handles.delayed) : undefined;
  const graph: GraphView = {
    get: (k) => (nodes.has(k) ? nodes.get(k) : delayedGraph?.get(k)),
    has: (k) => nodes.has(k) || (delayedGraph?.has(k) ?? false),
    deps: (k, node) =>
      nodes.has(k) ? nodeDependencies(node) : (delayedGraph?.deps(k, node) ?? []),
  };
  return { graph, keys, perKey, handles };
}

/** The Delayed values inside `values` (arrays and plain objects) and their graph. */
export function findDelayed(values: unknown): { graph: GraphView; roots: string[] } {
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

/** `values` with each Delayed replaced by `replace(node)`, in arrays and plain objects. */
export function replaceDelayed(values: unknown, replace: (node: DelayedNode) => unknown): unknown {
  const node = nodeOf(values);
  if (node !== undefined) return replace(node);
  if (Array.isArray(values)) return values.map((v) => replaceDelayed(v, replace));
  if (isPlainObject(values))
    return Object.fromEntries(
      Object.entries(values).map(([k, v]) => [k, replaceDelayed(v, replace)]),
    );
  return values;
}
