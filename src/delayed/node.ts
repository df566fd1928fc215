/**
 * The data behind a `Delayed`: its key, the node to run (a `Task` or a literal), and the
 * Delayed values it depends on. Nodes link to their dependencies, never copy graphs, so
 * building a chain of n calls is O(n) (Dask's HighLevelGraph copies make it O(n^2)).
 *
 * `collectGraph` walks the links (iteratively: a 100k-long chain is fine) into a GraphView that
 * the schedulers take, with dependencies already known (no second walk over task args).
 */
import type { GraphView } from '../graph/analyze.js';

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
  return {
    size: nodes.size,
    get: (key) => nodes.get(key)?.node,
    has: (key) => nodes.has(key),
    deps: (key) => {
      const deps = nodes.get(key)?.deps;
      if (deps === undefined || deps.length === 0) return NO_DEPS;
      if (deps.length === 1) return [(deps[0] as DelayedNode).key];
      const keys: string[] = [];
      for (const d of deps) if (!keys.includes(d.key)) keys.push(d.key);
      return keys;
    },
  };
}
