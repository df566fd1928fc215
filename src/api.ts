/**
 * The top-level API: `get` (low-level graphs), `compute`, `persist` and `visualize` (Delayed
 * values), wired to the schedulers. This module sits above every layer and installs itself
 * as the backend of `Delayed` members. The graph layout (dagre) loads on the first
 * `visualize` call, in its own chunk, as Dask imports `dask.dot` inside `visualize()`.
 */
import { checkNumWorkers, checkSchedulerSpec, resolveScheduler } from './config.js';
import { setDelayedBackend } from './delayed/backend.js';
import { isDelayed, makeDelayed, nodeOf } from './delayed/delayed.js';
import { collectGraph, DelayedNode } from './delayed/node.js';
import type { ComputedArgs, ComputeOptions, VisualizeOptions } from './delayed/types.js';
import { MAX_VERIFY } from './engine/verify.js';
import { abortedError, BaskError } from './errors.js';
import { viewGraph, type GraphView } from './graph/analyze.js';
import { isPlainObject, type Graph, type KeySpec } from './graph/spec.js';
import { collectCallbacks } from './hooks.js';
import { cacheInPlay, checkCacheOption } from './cache/brand.js';

/** Options of `get`: the same as `compute`'s. */
export type GetOptions = ComputeOptions;

const OPTION_KEYS = new Set([
  'scheduler',
  'numWorkers',
  'signal',
  'timeout',
  'verify',
  'callbacks',
  'fuse',
  'cache',
]);

function checkOptions(options: ComputeOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new BaskError('ERR_INVALID_ARGUMENT', 'options must be an object');
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) {
      throw new BaskError(
        'ERR_INVALID_ARGUMENT',
        `Unknown option '${key}'; known options: ${[...OPTION_KEYS].join(', ')}`,
      );
    }
  }
  if (options.scheduler !== undefined) checkSchedulerSpec(options.scheduler);
  if (options.numWorkers !== undefined) checkNumWorkers(options.numWorkers, 'numWorkers');
  if (
    options.timeout !== undefined &&
    !(typeof options.timeout === 'number' && options.timeout > 0)
  ) {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `timeout must be a positive number of milliseconds, got ${String(options.timeout)}`,
    );
  }
  if (
    options.verify !== undefined &&
    !(Number.isInteger(options.verify) && options.verify >= 1 && options.verify <= MAX_VERIFY)
  ) {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `verify must be an integer from 1 to ${MAX_VERIFY}, got ${String(options.verify)}`,
    );
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new BaskError('ERR_INVALID_ARGUMENT', 'signal must be an AbortSignal');
  }
  if (options.cache !== undefined) checkCacheOption(options.cache);
}

/** A run's values, read by key. */
interface Values {
  get(key: string): unknown;
}

/**
 * Values in the order of their keys, read by key: a read in that order (as `get` and
 * `compute` read them back) is a step along the list; any other read builds an index once.
 */
function inOrder(keys: readonly string[], values: readonly unknown[]): Values {
  let next = 0;
  let index: Map<string, number> | undefined;
  return {
    get(key) {
      const i =
        keys[next] === key
          ? next
          : ((index ??= new Map(keys.map((k, j) => [k, j]))).get(key) ?? -1);
      next = i + 1;
      return values[i];
    },
  };
}

async function run(
  graph: GraphView,
  keys: readonly string[],
  options: ComputeOptions,
): Promise<Values> {
  checkOptions(options);
  if (options.signal?.aborted === true) {
    throw abortedError(options.signal.reason, 'The computation was aborted before it started');
  }
  const scheduler = resolveScheduler(options.scheduler);
  const request = {
    graph,
    keys,
    callbacks: collectCallbacks(options.callbacks),
    signal: options.signal,
    timeout: options.timeout,
    verify: options.verify,
    fuse: options.fuse,
    numWorkers: options.numWorkers,
  };
  const cache = cacheInPlay(options.cache, scheduler);
  if (cache === undefined && scheduler.runInOrder !== undefined)
    return inOrder(keys, await scheduler.runInOrder(request));
  request.keys = [...new Set(keys)];
  if (cache === undefined) return scheduler.run(request);
  // The cache (IndexedDB, cache tokens) loads with the first run that uses one.
  const { runCached } = await import('./cache/cached-run.js');
  return runCached(scheduler, request, cache);
}

/**
 * Computes keys of a low-level graph. `keys` is a key or (nested) arrays of keys; the result
 * has the same shape.
 *
 * ```ts
 * const graph = { x: 1, y: task(inc, ref('x')), z: task(add, ref('x'), ref('y')) };
 * await get(graph, 'z');            // 3
 * await get(graph, [['x', 'y'], 'z']); // [[1, 2], 3]
 * ```
 */
export async function get(graph: Graph, keys: KeySpec, options: GetOptions = {}): Promise<unknown> {
  const flat: string[] = [];
  flattenKeys(keys, flat);
  const results = await run(viewGraph(graph), flat, options);
  return shapeLike(keys, results);
}

function flattenKeys(keys: KeySpec, out: string[]): void {
  if (typeof keys === 'string') {
    out.push(keys);
    return;
  }
  if (!Array.isArray(keys))
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `Keys must be strings or arrays of keys, got ${typeof keys}`,
    );
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as KeySpec;
    if (typeof k === 'string') out.push(k);
    else flattenKeys(k, out);
  }
}

function shapeLike(keys: KeySpec, results: Values): unknown {
  if (typeof keys === 'string') return results.get(keys);
  return keys.map((k) => shapeLike(k, results));
}

// ---- compute over Delayed values ----------------------------------------------------------------

/** Splits `compute(...values, options)`: the last argument is options when it looks like them. */
function splitOptions(args: readonly unknown[]): [readonly unknown[], ComputeOptions] {
  const last = args[args.length - 1];
  if (
    isPlainObject(last) &&
    Object.keys(last).length > 0 &&
    Object.keys(last).every((k) => OPTION_KEYS.has(k))
  ) {
    return [args.slice(0, -1), last];
  }
  return [args, {}];
}

function findDelayed(value: unknown, out: DelayedNode[], seen: Set<unknown>): void {
  const node = nodeOf(value);
  if (node !== undefined) {
    out.push(node);
    return;
  }
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (Array.isArray(value)) for (const v of value) findDelayed(v, out, seen);
  else if (isPlainObject(value))
    for (const k of Object.keys(value)) findDelayed(value[k], out, seen);
}

function substitute(value: unknown, results: Values): unknown {
  const node = nodeOf(value);
  if (node !== undefined) return results.get(node.key);
  if (Array.isArray(value)) return value.map((v) => substitute(v, results));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value)) out[k] = substitute(value[k], results);
    return out;
  }
  return value;
}

async function computeValues(
  values: readonly unknown[],
  options: ComputeOptions,
): Promise<unknown[]> {
  const roots: DelayedNode[] = [];
  for (const v of values) findDelayed(v, roots, new Set());
  if (roots.length === 0) {
    checkOptions(options);
    return values.map((v) => substitute(v, new Map()));
  }
  const results = await run(
    collectGraph(roots),
    roots.map((r) => r.key),
    options,
  );
  return values.map((v) => substitute(v, results));
}

/**
 * Computes Delayed values, in arrays and plain objects at any depth, together: shared
 * intermediates run once. Resolves to one result per argument, in its argument's shape;
 * options go last.
 *
 * ```ts
 * const [spreads, days] = await compute(spreads, days, { scheduler: 'sync' });
 * ```
 */
export function compute<const A extends readonly unknown[]>(...args: A): Promise<ComputedArgs<A>> {
  const [values, options] = splitOptions(args);
  return computeValues(values, options) as Promise<ComputedArgs<A>>;
}

/**
 * Computes Delayed values and returns Delayed values that hold the results under the same
 * keys: later computations that use them do not recompute them.
 */
export async function persist<const A extends readonly unknown[]>(...args: A): Promise<unknown[]> {
  const [values, options] = splitOptions(args);
  const computed = await computeValues(values, options);
  return values.map((v, i) => rewrap(v, computed[i]));
}

function rewrap(original: unknown, value: unknown): unknown {
  const node = nodeOf(original);
  if (node !== undefined) return makeDelayed(new DelayedNode(node.key, value, [], node.nout));
  if (Array.isArray(original) && Array.isArray(value))
    return original.map((o, i) => rewrap(o, value[i]));
  if (isPlainObject(original) && isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(original)) out[k] = rewrap(original[k], value[k]);
    return out;
  }
  return value;
}

/**
 * The task graph of Delayed values as SVG (default) or DOT text. Resolves once the layout
 * module has loaded (on the first call; it is not part of the core bundle).
 *
 * ```ts
 * host.innerHTML = await visualize(spreads, days, { rankdir: 'LR' });
 * const dot = await visualize(total, { format: 'dot' });
 * ```
 */
export async function visualize(
  ...args: [...unknown[], VisualizeOptions] | unknown[]
): Promise<string> {
  const last = args[args.length - 1];
  const hasOptions =
    isPlainObject(last) &&
    Object.keys(last).every((k) => k === 'format' || k === 'rankdir') &&
    !isDelayed(last);
  const values = hasOptions ? args.slice(0, -1) : args;
  const options = (hasOptions ? last : {}) as VisualizeOptions;
  const roots: DelayedNode[] = [];
  for (const v of values) findDelayed(v, roots, new Set());
  const graph = collectGraph(roots);
  const { renderGraph } = await import('./diagnostics/visualize.js');
  return renderGraph(graph, [...new Set(roots.map((r) => r.key))], options);
}

setDelayedBackend({
  compute: computeValues,
  persist: async (values, options) => {
    const computed = await computeValues(values, options);
    return values.map((v, i) => rewrap(v, computed[i]));
  },
  visualize: (values, options) => visualize(...values, options),
});
