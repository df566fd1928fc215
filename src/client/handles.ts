/**
 * Futures (key handles) inside what a client sends become dependencies on their keys: in task
 * arguments, in arrays and plain objects at any depth, and as whole graph nodes (`{ y: fut }`
 * is an alias of the future's key). Delayed values among submitted arguments become refs too.
 * Class instances, typed arrays and other data are not looked into.
 *
 * A node that is the future of its own key (a value persisted by `client.persist`) is held on
 * the cluster already: it is left out of the graph, as an external key.
 */
import type { GraphView } from '../graph/analyze.js';
import { nodeDependencies } from '../graph/deps.js';
import { Alias, Ref, Task, handleKey, isPlainObject } from '../graph/spec.js';
import { nodeOf } from '../delayed/delayed.js';
import type { DelayedNode } from '../delayed/node.js';
import { Future } from './future.js';

/** What lifting found: the keys of the futures, and the cancelled ones among them. */
export class HandleKeys {
  readonly keys = new Set<string>();
  readonly cancelled = new Set<string>();
  /** Delayed values met among submitted arguments (their graphs go along). */
  readonly delayed: DelayedNode[] = [];

  add(handle: object, key: string): void {
    this.keys.add(key);
    if (handle instanceof Future && handle.status === 'cancelled') this.cancelled.add(key);
  }
}

/**
 * `value` with futures (and, when `found.delayed` is wanted, Delayed values) replaced by refs
 * to their keys; the same object when there are none (copy on write).
 */
export function liftValue(value: unknown, found: HandleKeys, delayedToo = false): unknown {
  if (typeof value === 'function') {
    const node = delayedToo ? nodeOf(value) : undefined;
    if (node === undefined) return value;
    found.delayed.push(node);
    return new Ref(node.key);
  }
  if (value === null || typeof value !== 'object') return value;
  const key = handleKey(value);
  if (key !== undefined) {
    found.add(value, key);
    return new Ref(key);
  }
  if (value instanceof Task) {
    const args = liftItems(value.args, found, delayedToo);
    return args === value.args ? value : new Task(value.fn, args, value.key);
  }
  if (Array.isArray(value)) return liftItems(value, found, delayedToo);
  if (isPlainObject(value)) {
    let out: Record<string, unknown> | undefined;
    for (const k of Object.keys(value)) {
      const item = value[k];
      const lifted = liftValue(item, found, delayedToo);
      if (lifted !== item) out ??= { ...value };
      if (out !== undefined) out[k] = lifted;
    }
    return out ?? value;
  }
  return value;
}

function liftItems(items: readonly unknown[], found: HandleKeys, delayedToo: boolean): unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const lifted = liftValue(item, found, delayedToo);
    if (lifted !== item && out === undefined) out = items.slice(0, i);
    if (out !== undefined) out.push(lifted);
  }
  return out ?? (items as unknown[]);
}

/** A graph as the client sends it, and which keys outside it the cluster holds. */
export interface LiftedGraph {
  readonly view: GraphView;
  /** Whether a key that is not in the graph is held on the cluster (a future's key). */
  readonly isExternal: (key: string) => boolean;
  /** Keys of cancelled futures the graph refers to: what depends on them cannot run. */
  readonly cancelled: ReadonlySet<string>;
}

/**
 * Lifts the futures in a graph's nodes. `builtByClient`: the client made the graph from
 * arguments and Delayed values, whose futures are refs already, so every key outside the
 * graph is a future's key and nodes need no walk. Otherwise (a user's graph) nodes are
 * walked, and a key outside the graph is external only when `isKnown` or a future names it.
 */
export function liftGraph(
  inner: GraphView,
  isKnown: (key: string) => boolean,
  builtByClient: boolean,
  found = new HandleKeys(),
): LiftedGraph {
  const originals = new Map<string, unknown>();
  const isHeld = (key: string, node: unknown): boolean =>
    node !== null && typeof node === 'object' && handleKey(node) === key;
  const view: GraphView = {
    get(key) {
      const node = inner.get(key);
      if (isHeld(key, node)) {
        found.add(node as object, key);
        return undefined;
      }
      if (builtByClient) return node;
      if (node !== null && typeof node === 'object' && handleKey(node) !== undefined) {
        found.add(node, handleKey(node) as string);
        const alias = new Alias(handleKey(node) as string);
        originals.set(key, node);
        return alias;
      }
      const lifted = liftValue(node, found);
      if (lifted !== node) originals.set(key, node);
      return lifted;
    },
    has(key) {
      return inner.has(key) && !isHeld(key, inner.get(key));
    },
    deps(key, node) {
      const original = originals.get(key);
      if (original === undefined) return inner.deps(key, node);
      return union(inner.deps(key, original), nodeDependencies(node));
    },
  };
  return {
    view,
    isExternal: builtByClient ? () => true : (key) => isKnown(key) || found.keys.has(key),
    cancelled: found.cancelled,
  };
}

function union(a: readonly string[], b: readonly string[]): readonly string[] {
  if (a.length === 0) return b;
  const out = [...a];
  for (const k of b) if (!out.includes(k)) out.push(k);
  return out;
}
