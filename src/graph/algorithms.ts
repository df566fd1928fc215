/**
 * The graph algorithms as plain functions over a graph (object or Map), for users and tests:
 * `getDependencies`, `toposort`, `cull`, `order`, `fuse`. Schedulers use the index-based
 * versions in `analyze`, `order` and `fuse` directly.
 */
import { indexGraph, viewGraph, type GraphIndex } from './analyze.js';
import { fuseIndex, type FuseOptions } from './fuse.js';
import { orderIndex } from './order.js';
import type { Graph } from './spec.js';

function allKeys(graph: Graph): string[] {
  return graph instanceof Map
    ? [...(graph as ReadonlyMap<string, unknown>).keys()]
    : Object.keys(graph);
}

function depsOf(index: GraphIndex, id: number): string[] {
  const out: string[] = [];
  for (let e = index.depStart[id] as number; e < (index.depStart[id + 1] as number); e++) {
    const d = index.depList[e] as number;
    out.push(d >= 0 ? (index.keys[d] as string) : (index.external[-d - 1] as string));
  }
  return out;
}

/** The direct dependencies of every key (or of the keys `keys` need). */
export function getDependencies(graph: Graph, keys?: readonly string[]): Map<string, string[]> {
  const index = indexGraph(viewGraph(graph), keys ?? allKeys(graph));
  return new Map(index.keys.map((key, id) => [key, depsOf(index, id)]));
}

/** Keys in an order where each comes after its dependencies; throws `ERR_GRAPH_CYCLE`. */
export function toposort(graph: Graph, keys?: readonly string[]): string[] {
  const index = indexGraph(viewGraph(graph), keys ?? allKeys(graph));
  return Array.from(orderIndex(index).sequence, (id) => index.keys[id] as string);
}

/** Only what `keys` need: the culled graph as a Map, with each key's dependencies. */
export function cull(
  graph: Graph,
  keys: readonly string[],
): { graph: Map<string, unknown>; dependencies: Map<string, string[]> } {
  const index = indexGraph(viewGraph(graph), keys);
  return {
    graph: new Map(index.keys.map((key, id) => [key, index.nodes[id]])),
    dependencies: new Map(index.keys.map((key, id) => [key, depsOf(index, id)])),
  };
}

/** A priority for each key that `keys` (default: all) need: 0 runs first. */
export function order(graph: Graph, keys?: readonly string[]): Map<string, number> {
  const index = indexGraph(viewGraph(graph), keys ?? allKeys(graph));
  const { priority } = orderIndex(index);
  return new Map(index.keys.map((key, id) => [key, priority[id] as number]));
}

/** Fuses linear chains (keeping `keys`); returns the fused graph as a Map. */
export function fuse(
  graph: Graph,
  keys: readonly string[],
  options?: FuseOptions,
): Map<string, unknown> {
  const index = indexGraph(viewGraph(graph), keys);
  const fused = fuseIndex(index, orderIndex(index), options);
  return new Map(fused.keys.map((key, id) => [key, fused.nodes[id]]));
}
