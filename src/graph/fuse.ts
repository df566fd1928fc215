/**
 * Linear-chain fusion: a task whose only dependent uses it exactly once, and whose dependent
 * has no other dependency, is inlined into that dependent as a nested task. A chain
 * `a -> b -> c` becomes one task `c` that computes `c(b(a(...)))` in one go: one message to a
 * worker instead of three round trips.
 *
 * Policy: requested keys are never fused away; only `Task` nodes fuse; a fused task nests at
 * most `maxHeight` tasks deep (default 32), so evaluation stays shallow and a long chain
 * becomes a shorter chain of fused tasks.
 */
import type { GraphIndex } from './analyze.js';
import { dependentsOf } from './analyze.js';
import type { Ordering } from './order.js';
import { Ref, Task, isPlainObject } from './spec.js';

/** Options for {@link fuseIndex}. */
export interface FuseOptions {
  /** The deepest nesting of one fused task (default 32). */
  maxHeight?: number;
}

/** Fuses linear chains of an ordered index; returns a new index (ids renumbered). */
export function fuseIndex(
  index: GraphIndex,
  ordering: Ordering,
  options: FuseOptions = {},
): GraphIndex {
  const maxHeight = options.maxHeight ?? 32;
  const n = index.keys.length;
  const { depStart } = index;
  const dependents = dependentsOf(index);
  const isOutput = new Uint8Array(n);
  for (const o of index.outputs) isOutput[o] = 1;
  const removed = new Uint8Array(n);
  const height = new Int32Array(n).fill(1);
  const nodes = index.nodes.slice();
  let fusedAny = false;

  for (let p = 0; p < ordering.sequence.length; p++) {
    const i = ordering.sequence[p] as number;
    if (isOutput[i] === 1 || !(nodes[i] instanceof Task)) continue;
    if ((dependents.start[i + 1] as number) - (dependents.start[i] as number) !== 1) continue;
    const j = dependents.list[dependents.start[i] as number] as number;
    const jNode = index.nodes[j];
    if (!(jNode instanceof Task)) continue;
    if ((depStart[j + 1] as number) - (depStart[j] as number) !== 1) continue;
    if (height[i]! + height[j]! > maxHeight) continue;
    const inner = nodes[i] as Task;
    const labelled =
      inner.key === undefined ? new Task(inner.fn, inner.args, index.keys[i]) : inner;
    const inlined = inlineRef(jNode, index.keys[i] as string, labelled);
    if (inlined === undefined) continue;
    nodes[j] = inlined;
    height[j] = height[i]! + height[j]!;
    removed[i] = 1;
    fusedAny = true;
  }
  return fusedAny ? compact(index, nodes, removed) : index;
}

/** Replaces the single `Ref(key)` in `node`'s args by `inner`; undefined unless exactly one. */
function inlineRef(node: Task, key: string, inner: Task): Task | undefined {
  let count = 0;
  const replace = (value: unknown): unknown => {
    if (value instanceof Ref) {
      if (value.key !== key) return value;
      count++;
      return inner;
    }
    if (value instanceof Task) return new Task(value.fn, value.args.map(replace), value.key);
    if (Array.isArray(value)) return value.map(replace);
    if (isPlainObject(value)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(value)) out[k] = replace(value[k]);
      return out;
    }
    return value;
  };
  const args = node.args.map(replace);
  return count === 1 ? new Task(node.fn, args, node.key) : undefined;
}

function compact(index: GraphIndex, nodes: unknown[], removed: Uint8Array): GraphIndex {
  const n = index.keys.length;
  const newId = new Int32Array(n).fill(-1);
  const keys: string[] = [];
  const kept: unknown[] = [];
  for (let i = 0; i < n; i++) {
    if (removed[i] === 1) continue;
    newId[i] = keys.length;
    keys.push(index.keys[i] as string);
    kept.push(nodes[i]);
  }
  // A kept task's removed dependency is replaced by that dependency's own dependencies.
  const starts: number[] = [0];
  const list: number[] = [];
  const pushDeps = (i: number): void => {
    for (let e = index.depStart[i] as number; e < (index.depStart[i + 1] as number); e++) {
      const d = index.depList[e] as number;
      if (d < 0) list.push(d);
      else if (removed[d] === 1) pushDeps(d);
      else list.push(newId[d] as number);
    }
  };
  for (let i = 0; i < n; i++) {
    if (removed[i] === 1) continue;
    pushDeps(i);
    starts.push(list.length);
  }
  return {
    keys,
    nodes: kept,
    depStart: Int32Array.from(starts),
    depList: Int32Array.from(list),
    external: index.external,
    outputs: index.outputs.map((o) => newId[o] as number),
  };
}
