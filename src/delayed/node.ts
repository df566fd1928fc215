/**
 * The data behind a `Delayed`: its key, the node to run (a `Task` or a literal), and the
 * Delayed values it depends on. Nodes link to their dependencies, never copy graphs, so
 * building a chain of n calls is O(n) (Dask's HighLevelGraph copies make it O(n^2)).
 *
 * `collectGraph` walks the links (iteratively: a 100k-long chain is fine) into a GraphView that
 * the schedulers take. A node's dependencies are its Delayed values plus the keys of the other
 * refs in its task: a cluster Future passed to a delayed call is a ref to the future's key
 * (held by the cluster, outside this graph), and a dependency like any other.
 */
import type { GraphView } from '../graph/analyze.js';
import { nodeDependencies } from '../graph/deps.js';

/** A node of a delayed graph. */
export class DelayedNode {
  constructor(
    readonly key: string,
    /** A `Task`, or a literal value. */
    readonly node: unknown,
    readonly deps: readonly DelayedNode[],
    /** Length when iterable (`nout`), or undefined. */
    readonly nout: number | undefined,
  ) {}
}

const NO_DEPS: readonly string[] = Object.freeze([]);

/** Graph views made by `collectGraph` (every key outside one is a key held elsewhere). */
const collected = new WeakSet<GraphView>();

/** True for a view made by `collectGraph`: keys outside it can only be futures' keys. */
export function isCollectedGraph(view: GraphView): boolean {
  return collected.has(view);
}

/** Collects everything `roots` need into a GraphView (first node per key wins). */
export function collectGraph(roots: readonly DelayedNode[]): GraphView & { size: number } {
  const nodes = new Map<string, DelayedNode>();
  const stack: DelayedNode[] = [];
  for (const root of roots) {
    if (!nodes.has(root.key)) {
      nodes.set(root.key, root);
      stack.push(root);
    }
  }
  while (stack.length > 0) {
    const n = stack.pop() as DelayedNode;
    const deps = n.deps;
    for (let i = 0; i < deps.length; i++) {
      const d = deps[i] as DelayedNode;
      if (!nodes.has(d.key)) {
        nodes.set(d.key, d);
        stack.push(d);
      }
    }
  }
  const view = {
    size: nodes.size,
    get: (key: string) => nodes.get(key)?.node,
    has: (key: string) => nodes.has(key),
    deps: (key: string) => {
      const n = nodes.get(key);
      return n === undefined ? NO_DEPS : dependencyKeys(n);
    },
  };
  collected.add(view);
  return view;
}

/** The keys a node depends on: its Delayed values, then any other key its task refers to. */
function dependencyKeys(n: DelayedNode): readonly string[] {
  const deps = n.deps;
  const refs = nodeDependencies(n.node);
  if (deps.length === 0) return refs;
  const first = (deps[0] as DelayedNode).key;
  if (deps.length === 1 && (refs.length === 0 || (refs.length === 1 && refs[0] === first)))
    return [first];
  // Refs beyond the Delayed dependencies name keys held elsewhere (futures).
  const keys = new Set<string>();
  for (const d of deps) keys.add(d.key);
  for (const k of refs) keys.add(k);
  return [...keys];
}
