/**
 * Static ordering: a priority for every task that keeps memory low, and the cycle check.
 *
 * Policy (Dask's `order` in spirit, much simpler): walk depth-first from the outputs, in the
 * order they were given, and run a task as soon as its dependencies have run; whenever a task
 * runs, first finish any dependent it made ready (depth-first). Data is then consumed soon after
 * it is made: a tree reduction finishes its left subtree before it starts the right one, and a
 * parsed file is reduced before the next file is read.
 *
 * The emitted sequence is a topological order; a back edge met on the walk is a cycle, reported
 * with its path (`a -> b -> a`, each key depending on the next). Iterative: no recursion limit.
 */
import { BaskError } from '../errors.js';
import { dependentsOf, type GraphIndex } from './analyze.js';

/** The result of ordering: `sequence[p]` is the id that runs p-th; `priority[id]` is its p. */
export interface Ordering {
  readonly sequence: Int32Array;
  readonly priority: Int32Array;
}

const ON_PATH = 1;
const EMITTED = 2;

/** Orders an index; throws `ERR_GRAPH_CYCLE` naming the cycle. */
export function orderIndex(index: GraphIndex): Ordering {
  const n = index.keys.length;
  const { depStart, depList } = index;
  const dependents = dependentsOf(index);
  const remaining = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let count = 0;
    for (let e = depStart[i] as number; e < (depStart[i + 1] as number); e++)
      if ((depList[e] as number) >= 0) count++;
    remaining[i] = count;
  }
  const state = new Uint8Array(n);
  const cursor = depStart.slice(0, n);
  const priority = new Int32Array(n);
  const sequence = new Int32Array(n);
  let counter = 0;
  const ready: number[] = [];
  const path: number[] = [];

  const emit = (id: number): void => {
    priority[id] = counter;
    sequence[counter++] = id;
    state[id] = EMITTED;
    for (let e = dependents.start[id] as number; e < (dependents.start[id + 1] as number); e++) {
      const j = dependents.list[e] as number;
      if (--remaining[j]! === 0 && state[j] !== EMITTED) ready.push(j);
    }
  };

  const roots = index.outputs.length > 0 ? index.outputs : Array.from({ length: n }, (_, i) => i);
  for (const root of roots) {
    if (state[root] === EMITTED) continue;
    state[root] = ON_PATH;
    path.push(root);
    while (path.length > 0) {
      while (ready.length > 0) {
        const j = ready.pop() as number;
        if (state[j] !== EMITTED) emit(j);
      }
      const top = path[path.length - 1] as number;
      if (state[top] === EMITTED) {
        path.pop();
        continue;
      }
      const next = nextUnemittedDep(top, cursor, depStart, depList, state);
      if (next === -1) {
        path.pop();
        emit(top);
      } else if (state[next] === ON_PATH) {
        throw cycleError(index, path, next);
      } else {
        state[next] = ON_PATH;
        path.push(next);
      }
    }
  }
  while (ready.length > 0) {
    const j = ready.pop() as number;
    if (state[j] !== EMITTED) emit(j);
  }
  return { sequence: sequence.subarray(0, counter), priority };
}

function nextUnemittedDep(
  top: number,
  cursor: Int32Array,
  depStart: Int32Array,
  depList: Int32Array,
  state: Uint8Array,
): number {
  const end = depStart[top + 1] as number;
  for (let e = cursor[top] as number; e < end; e++) {
    const d = depList[e] as number;
    if (d >= 0 && state[d] !== EMITTED) {
      cursor[top] = e;
      return d;
    }
  }
  cursor[top] = end;
  return -1;
}

function cycleError(index: GraphIndex, path: number[], repeated: number): BaskError {
  const from = path.indexOf(repeated);
  const cycle = [...path.slice(from), repeated].map((id) => index.keys[id] as string);
  return new BaskError(
    'ERR_GRAPH_CYCLE',
    `Cycle detected in the graph: ${cycle.join(' -> ')} (each key depends on the next). ` +
      'A task cannot depend on its own result; break the cycle.',
  );
}
