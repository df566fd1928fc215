/**
 * Graph indexing: from a graph and the keys wanted, the culled set of tasks as integer ids with
 * dependencies in compressed rows (CSR). Every algorithm here (cull, toposort, order, fuse)
 * works on this index: integers and typed arrays keep a 1M-task graph small and fast.
 *
 * Invariants: ids are assigned in discovery order from the outputs; `deps` of id i are
 * `depList[depStart[i] .. depStart[i+1])`; a negative entry -(j+1) names `external[j]`, a key
 * that is not in the graph but that the caller declared known (a future's key on a cluster).
 * Missing keys raise `ERR_MISSING_KEY`, naming who needed them.
 */
import { BaskError } from '../errors.js';
import { hasFlatArgs, nodeDependencies } from './deps.js';
import { Ref, Task, type Graph } from './spec.js';

/** Read access to a graph, whatever its container; `deps` may be precomputed (delayed). */
export interface GraphView {
  get(key: string): unknown;
  has(key: string): boolean;
  deps(key: string, node: unknown): readonly string[];
}

/** A graph in object or Map form as a GraphView. */
export function viewGraph(graph: Graph | GraphView): GraphView {
  if (isGraphView(graph)) return graph;
  if (graph instanceof Map) {
    const map = graph as ReadonlyMap<string, unknown>;
    return { get: (k) => map.get(k), has: (k) => map.has(k), deps: plainDeps };
  }
  if (graph === null || typeof graph !== 'object') {
    throw new BaskError(
      'ERR_INVALID_GRAPH',
      `A graph must be an object or a Map from key to node, got ${typeof graph}`,
    );
  }
  const obj = graph as Readonly<Record<string, unknown>>;
  const proto = Object.prototype as unknown as Record<string, unknown>;
  const own = (k: string): boolean => Object.prototype.hasOwnProperty.call(obj, k);
  return {
    // One property read in the common case (a node that is not a function): inherited
    // members ('toString', and '__proto__', which reads as Object.prototype) are not nodes.
    get: (k) => {
      const v = obj[k];
      if (v === undefined || (typeof v !== 'function' && v !== proto)) return v;
      return v === proto[k] && !own(k) ? undefined : v;
    },
    has: (k) => {
      const v = obj[k];
      return v === undefined || v === proto[k] ? own(k) : true;
    },
    deps: plainDeps,
  };
}

/** The dependencies of a node of a plain graph (indexGraph reads the common case itself). */
function plainDeps(_key: string, node: unknown): readonly string[] {
  return nodeDependencies(node);
}

function isGraphView(value: unknown): value is GraphView {
  const v = value as Partial<GraphView> | null;
  return (
    v !== null &&
    !(v instanceof Map) &&
    typeof v === 'object' &&
    typeof v.get === 'function' &&
    typeof v.has === 'function' &&
    typeof v.deps === 'function'
  );
}

/** The culled graph as integer ids and CSR dependency rows. */
export interface GraphIndex {
  readonly keys: string[];
  readonly nodes: unknown[];
  readonly depStart: Int32Array;
  readonly depList: Int32Array;
  readonly external: string[];
  /** ids of the wanted keys, in the order given (duplicates kept). */
  readonly outputs: number[];
}

/** Options for {@link indexGraph}. */
export interface IndexOptions {
  /** Keys that are not in the graph but are known elsewhere (held by a cluster). */
  isExternal?: (key: string) => boolean;
}

/**
 * Indexes what `outputs` need (the cull): a breadth-first walk from the outputs. Throws
 * `ERR_MISSING_KEY` for a key that is neither in the graph nor external.
 */
export function indexGraph(
  view: GraphView,
  outputs: readonly string[],
  options: IndexOptions = {},
): GraphIndex {
  const ids = new Map<string, number>();
  const keys: string[] = [];
  const nodes: unknown[] = [];
  const external: string[] = [];
  const externalIds = new Map<string, number>();
  const starts: number[] = [0];
  const list: number[] = [];
  const outputIds: number[] = [];

  const idOf = (key: string, neededBy: string | undefined): number => {
    const id = ids.get(key);
    if (id !== undefined) return id;
    const node = view.get(key);
    if (node === undefined && !view.has(key)) {
      if (options.isExternal?.(key) === true) {
        let ext = externalIds.get(key);
        if (ext === undefined) {
          ext = -(external.length + 1);
          external.push(key);
          externalIds.set(key, ext);
        }
        return ext;
      }
      throw missingKey(key, neededBy);
    }
    const fresh = keys.length;
    ids.set(key, fresh);
    keys.push(key);
    nodes.push(node);
    return fresh;
  };

  // The outputs of a `get` are usually distinct keys of the graph: each takes one probe of
  // `ids` (its size tells a repeat) instead of a miss and then a set, until one repeats.
  let distinct = true;
  const newOutput = (key: string): number => {
    const node = view.get(key);
    if (node === undefined && !view.has(key)) return idOf(key, undefined);
    const fresh = keys.length;
    ids.set(key, fresh);
    if (ids.size === fresh) {
      // A repeat: it keeps the id it had (and the rest go the usual way).
      const id = keys.indexOf(key);
      ids.set(key, id);
      distinct = false;
      return id;
    }
    keys.push(key);
    nodes.push(node);
    return fresh;
  };
  for (const key of outputs) {
    if (typeof key !== 'string') {
      throw new BaskError('ERR_INVALID_ARGUMENT', `Keys must be strings, got ${typeof key}`);
    }
    outputIds.push(distinct ? newOutput(key) : idOf(key, undefined));
  }
  // Where deps are a plain graph's, a task with flat args is read in place: the ids of its
  // refs' keys, each once, in order (what nodeDependencies gives, without a list per task).
  const plain = view.deps === plainDeps;
  // keys grows while we walk it: a breadth-first queue without a separate queue.
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const node = nodes[i];
    if (plain && node instanceof Task && hasFlatArgs(node)) {
      const row = list.length;
      const args = node.args;
      for (let a = 0; a < args.length; a++) {
        const arg = args[a];
        if (!(arg instanceof Ref)) continue;
        const id = idOf(arg.key, key);
        if (!rowHas(list, row, id)) list.push(id);
      }
    } else {
      const deps = view.deps(key, node);
      for (let d = 0; d < deps.length; d++) list.push(idOf(deps[d] as string, key));
    }
    starts.push(list.length);
  }
  return {
    keys,
    nodes,
    depStart: Int32Array.from(starts),
    depList: Int32Array.from(list),
    external,
    outputs: outputIds.filter((id) => id >= 0),
  };
}

/** Whether `list[from..]` holds `id` (a task's row so far: a few entries). */
function rowHas(list: readonly number[], from: number, id: number): boolean {
  for (let e = from; e < list.length; e++) if (list[e] === id) return true;
  return false;
}

function missingKey(key: string, neededBy: string | undefined): BaskError {
  const by = neededBy === undefined ? '' : ` (needed by '${neededBy}')`;
  return new BaskError(
    'ERR_MISSING_KEY',
    `Key '${key}' is not in the graph${by}. Check the key's spelling, or add a node for it.`,
    { key },
  );
}

/** Dependents in CSR form (the reverse edges of the index, internal ids only). */
export interface Dependents {
  readonly start: Int32Array;
  readonly list: Int32Array;
}

/** Builds the reverse edges of an index. */
export function dependentsOf(index: GraphIndex): Dependents {
  const n = index.keys.length;
  const counts = new Int32Array(n + 1);
  const { depStart, depList } = index;
  for (let e = 0; e < depList.length; e++) {
    const d = depList[e] as number;
    if (d >= 0) counts[d + 1]! += 1;
  }
  for (let i = 0; i < n; i++) counts[i + 1]! += counts[i] as number;
  const start = counts.slice();
  const fill = counts.slice(0, n);
  const list = new Int32Array(start[n] as number);
  for (let i = 0; i < n; i++) {
    for (let e = depStart[i] as number; e < (depStart[i + 1] as number); e++) {
      const d = depList[e] as number;
      if (d >= 0) list[fill[d]!++] = i;
    }
  }
  return { start, list };
}
