/**
 * Task fusion, as Dask's `optimization.fuse`: a task whose only dependent uses it exactly once
 * is inlined into that dependent as a nested task (labelled with its key, so an error still
 * names it). A chain `a -> b -> c` becomes one task `c` that computes `c(b(a(...)))` in one go:
 * one message to a worker instead of three round trips.
 *
 * Two kinds, as Dask's: linear chains (the dependent has no other dependency; always), and
 * reductions (the dependent has several; only with `aveWidth` > 1). A reduction fuses a
 * branch while the fused task holds at most `aveWidth` tasks per level of its height (Dask's
 * `ave-width`: `sub(max(df.high), min(df.low))` is 5 tasks over 3 levels, fused at 2, not at
 * 1), so a fused task never hides much parallel work; and a branch that makes its own input
 * (no dependency, or only chains fused into it that have none: reading a file, making data)
 * stays its own task, so independent inputs still load in parallel.
 *
 * Policy: requested keys are never fused away; only `Task` nodes fuse; a fused task nests at
 * most `maxHeight` tasks deep (default 32), so evaluation stays shallow and a long chain
 * becomes a shorter chain of fused tasks. A fused task depends on its branches' dependencies,
 * each once.
 */
import type { GraphIndex } from './analyze.js';
import { dependentsOf } from './analyze.js';
import type { Ordering } from './order.js';
import { Ref, Task, isPlainObject } from './spec.js';

/** Options for {@link fuseIndex}. */
export interface FuseOptions {
  /** The deepest nesting of one fused task (default 32). */
  maxHeight?: number;
  /**
   * Reductions fuse while a fused task holds at most this many tasks per level of its height
   * (Dask's `optimization.fuse.ave-width`); the default 1 fuses linear chains only.
   */
  aveWidth?: number;
}

/** The fusion pools apply by default: chains and narrow reductions (see the header). */
export const SCHEDULER_FUSE: Readonly<FuseOptions> = { aveWidth: 2 };

/**
 * Fuses chains (and reductions, with `aveWidth` > 1) of an ordered index; returns a new index
 * (ids renumbered), or `index` itself when nothing fused.
 */
export function fuseIndex(
  index: GraphIndex,
  ordering: Ordering,
  options: FuseOptions = {},
): GraphIndex {
  // Only a task depending on another in the index can take it in: without such an edge
  // (independent tasks, a map over inputs), there is nothing to fuse.
  if (!hasInternalEdge(index.depList)) return index;
  const maxHeight = options.maxHeight ?? 32;
  const aveWidth = options.aveWidth ?? 1;
  const n = index.keys.length;
  const { depStart } = index;
  const dependents = dependentsOf(index);
  const isOutput = new Uint8Array(n);
  for (const o of index.outputs) isOutput[o] = 1;
  const removed = new Uint8Array(n);
  const height = new Int32Array(n).fill(1);
  const size = new Int32Array(n).fill(1);
  /** 1 when a task, with what was fused into it, depends on nothing: it makes its own inputs. */
  const sourceLike = new Uint8Array(n);
  const nodes = index.nodes.slice();
  let fusedAny = false;

  // Each task, in execution order (its dependencies first, each already holding what fused
  // into it), takes in the dependencies only it uses: a chain link always, a reduction's
  // branches all together or none (so the count of tasks never depends on how many branches
  // a reduction happens to have, as when a list gathers a batch of files).
  const branches: number[] = [];
  for (let p = 0; p < ordering.sequence.length; p++) {
    const j = ordering.sequence[p] as number;
    const jNode = nodes[j];
    if (jNode instanceof Task) {
      const first = depStart[j] as number;
      const linear = (depStart[j + 1] as number) - first === 1;
      if (branches.length > 0) branches.length = 0; // a length write costs ~25 ns
      let fusedHeight = height[j]!;
      let fusedSize = size[j]!;
      for (let e = first; e < (depStart[j + 1] as number); e++) {
        const i = index.depList[e] as number;
        if (i < 0 || isOutput[i] === 1 || !(nodes[i] instanceof Task)) continue;
        if ((dependents.start[i + 1] as number) - (dependents.start[i] as number) !== 1) continue;
        if (!linear && (aveWidth <= 1 || sourceLike[i] === 1)) continue;
        branches.push(i);
        fusedHeight = linear ? height[i]! + height[j]! : Math.max(fusedHeight, height[i]! + 1);
        fusedSize += size[i]!;
      }
      const fits =
        branches.length > 0 &&
        fusedHeight <= maxHeight &&
        (linear || fusedSize <= aveWidth * fusedHeight);
      // A branch whose ref cannot be inlined (used twice in `j`'s args) stops the whole fusion.
      let fused: Task | undefined = fits ? jNode : undefined;
      for (let b = 0; fused !== undefined && b < branches.length; b++) {
        const i = branches[b] as number;
        const inner = nodes[i] as Task;
        const labelled =
          inner.key === undefined ? new Task(inner.fn, inner.args, index.keys[i]) : inner;
        fused = inlineRef(fused, index.keys[i] as string, labelled);
      }
      if (fused !== undefined) {
        nodes[j] = fused;
        height[j] = fusedHeight;
        size[j] = fusedSize;
        for (const i of branches) removed[i] = 1;
        fusedAny = true;
      }
    }
    sourceLike[j] = isSourceLike(index, j, removed, sourceLike) ? 1 : 0;
  }
  return fusedAny ? compact(index, nodes, removed) : index;
}

/** Whether every dependency of `i` was fused into it and was itself source-like (or it has none). */
function isSourceLike(
  index: GraphIndex,
  i: number,
  removed: Uint8Array,
  sourceLike: Uint8Array,
): boolean {
  for (let e = index.depStart[i] as number; e < (index.depStart[i + 1] as number); e++) {
    const d = index.depList[e] as number;
    if (d < 0 || removed[d] !== 1 || sourceLike[d] !== 1) return false;
  }
  return true;
}

/**
 * Replaces the single `Ref(key)` in `node`'s args by `inner`; undefined unless exactly one.
 * Only the containers on the way to the ref are copied: the rest is shared, as it was.
 */
function inlineRef(node: Task, key: string, inner: Task): Task | undefined {
  let count = 0;
  const replaceAll = (values: readonly unknown[]): readonly unknown[] => {
    let out: unknown[] | undefined;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      const replaced = replace(value);
      if (replaced !== value) (out ??= values.slice())[i] = replaced;
    }
    return out ?? values;
  };
  const replace = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    if (value instanceof Ref) {
      if (value.key !== key) return value;
      count++;
      return inner;
    }
    if (value instanceof Task) {
      const args = replaceAll(value.args);
      return args === value.args ? value : new Task(value.fn, args, value.key);
    }
    if (Array.isArray(value)) return replaceAll(value);
    if (isPlainObject(value)) {
      let out: Record<string, unknown> | undefined;
      for (const k of Object.keys(value)) {
        const replaced = replace(value[k]);
        if (replaced !== value[k]) (out ??= { ...value })[k] = replaced;
      }
      return out ?? value;
    }
    return value;
  };
  const args = replaceAll(node.args);
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
  // A kept task's removed dependency is replaced by that dependency's own dependencies, each
  // once (a reduction's branches often share an input).
  const starts: number[] = [0];
  const list: number[] = [];
  // seen[slot] === row + 1 when the row already lists it (slots: kept ids, then externals).
  const seen = new Int32Array(keys.length + index.external.length);
  let row = 0;
  const push = (d: number): void => {
    const slot = d < 0 ? keys.length - d - 1 : d;
    if (seen[slot] === row + 1) return;
    seen[slot] = row + 1;
    list.push(d);
  };
  const pushDeps = (i: number): void => {
    for (let e = index.depStart[i] as number; e < (index.depStart[i + 1] as number); e++) {
      const d = index.depList[e] as number;
      if (d < 0) push(d);
      else if (removed[d] === 1) pushDeps(d);
      else push(newId[d] as number);
    }
  };
  for (let i = 0; i < n; i++) {
    if (removed[i] === 1) continue;
    pushDeps(i);
    starts.push(list.length);
    row++;
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

/** Whether some dependency is a task of the index (entries below 0 are external keys). */
function hasInternalEdge(depList: Int32Array): boolean {
  for (let e = 0; e < depList.length; e++) if ((depList[e] as number) >= 0) return true;
  return false;
}
