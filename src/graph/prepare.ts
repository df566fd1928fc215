/**
 * From a user's graph and wanted keys to a `GraphBatch`: the culled, checked, ordered (and
 * optionally fused) tasks in the compact form the engine takes. This is the one place every
 * scheduler's graph goes through before it runs.
 *
 * A batch lists tasks in priority order (every task after its dependencies). Specs are
 * normalized so that a worker needs only two cases: a `Task` is called, anything else is the
 * value itself. Aliases, and literals holding refs or tasks, become `Task(identity, [...])`: a
 * literal's tasks are evaluated (Dask's `{'c': [1, (inc, 1)]}` gives `[1, 2]`).
 */
import { indexGraph, type GraphIndex, type GraphView, type IndexOptions } from './analyze.js';
import { fuseIndex, type FuseOptions } from './fuse.js';
import { containsTask } from './deps.js';
import { identity } from './ops.js';
import { orderIndex } from './order.js';
import { Alias, Ref, Task } from './spec.js';

/** Tasks ready for the engine, in priority order, dependencies as CSR rows. */
export interface GraphBatch {
  /** Keys in priority order: every key comes after the keys it depends on. */
  readonly keys: readonly string[];
  /** What to run for each key: a `Task` to call, or a literal value. */
  readonly specs: readonly unknown[];
  /** Dependencies of task i: `depList[depStart[i] .. depStart[i+1])`. */
  readonly depStart: Int32Array;
  /** Entries >= 0 index `keys`; an entry -(j+1) names `external[j]`. */
  readonly depList: Int32Array;
  /** Keys depended on that are not in this batch (already known where it runs). */
  readonly external: readonly string[];
  /**
   * Where the outputs it was prepared for are in `keys` (in the order given, externals left
   * out): the engine finds wanted keys there without a lookup by key. Optional: a batch built
   * elsewhere may leave it out.
   */
  readonly outputs?: Int32Array;
}

/** Options for {@link prepareGraph}. */
export interface PrepareOptions extends IndexOptions {
  /** Fuse linear chains into single tasks, or fuse as these options say (default false). */
  fuse?: boolean | FuseOptions;
}

/** Culls, checks (missing keys, cycles), orders and optionally fuses; returns a batch. */
export function prepareGraph(
  view: GraphView,
  outputs: readonly string[],
  options: PrepareOptions = {},
): GraphBatch {
  let index = indexGraph(view, outputs, options);
  let ordering = orderIndex(index);
  const fuse = options.fuse ?? false;
  if (fuse !== false && index.keys.length > 1) {
    const fused = fuseIndex(index, ordering, fuse === true ? {} : fuse);
    if (fused !== index) {
      index = fused;
      ordering = orderIndex(index);
    }
  }
  return toBatch(index, ordering.sequence, ordering.priority);
}

function toBatch(index: GraphIndex, sequence: Int32Array, priority: Int32Array): GraphBatch {
  const n = sequence.length;
  const keys = new Array<string>(n);
  const specs = new Array<unknown>(n);
  const depStart = new Int32Array(n + 1);
  const depList = new Int32Array(index.depList.length);
  let e = 0;
  for (let p = 0; p < n; p++) {
    const id = sequence[p] as number;
    keys[p] = index.keys[id] as string;
    const from = index.depStart[id] as number;
    const to = index.depStart[id + 1] as number;
    specs[p] = normalizeSpec(index.nodes[id], to > from);
    for (let k = from; k < to; k++) {
      const d = index.depList[k] as number;
      depList[e++] = d < 0 ? d : (priority[d] as number);
    }
    depStart[p + 1] = e;
  }
  const outputs = new Int32Array(index.outputs.length);
  for (let o = 0; o < outputs.length; o++)
    outputs[o] = priority[index.outputs[o] as number] as number;
  return { keys, specs, depStart, depList, external: index.external, outputs };
}

/** The spec a worker runs for a node: a Task, or a literal without refs or tasks. */
export function normalizeSpec(node: unknown, hasDeps: boolean): unknown {
  if (node instanceof Task) return node;
  if (node instanceof Alias || node instanceof Ref) return new Task(identity, [new Ref(node.key)]);
  if (hasDeps || containsTask(node)) return new Task(identity, [node]);
  return node;
}
