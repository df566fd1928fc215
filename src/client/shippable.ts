/**
 * Refusing unshippable functions at submit: every task function a submission needs must have a
 * shippable reference (a built-in op, a task-module export, or source text). Bound and native
 * functions fail here with ERR_UNSHIPPABLE_FUNCTION naming the task, before anything is sent.
 * (A closure over local variables can only be caught when it first runs on a worker.)
 */
import { BaskError } from '../errors.js';
import { indexGraph, type GraphView } from '../graph/analyze.js';
import { describeFunction } from '../graph/fnref.js';
import { Task, isPlainObject } from '../graph/spec.js';

/**
 * Throws ERR_UNSHIPPABLE_FUNCTION for the first task whose function cannot be shipped. With
 * `closed`, the caller knows the graph holds `keys` and nothing else they need (a `submit`
 * without Delayed arguments): they are checked directly, without indexing the graph.
 */
export function checkShippable(graph: GraphView, keys: readonly string[], closed = false): void {
  if (closed) {
    for (const key of keys) checkNode(key, graph.get(key));
    return;
  }
  const index = indexGraph(graph, keys, { isExternal: () => true });
  index.nodes.forEach((node, id) => checkNode(index.keys[id] ?? '?', node));
}

function checkNode(key: string, node: unknown): void {
  try {
    visit(node);
  } catch (error) {
    if (error instanceof BaskError) {
      throw new BaskError(error.code, `Task '${key}': ${error.message}`, { key });
    }
    throw error;
  }
}

function visit(value: unknown): void {
  if (value instanceof Task) {
    describeFunction(value.fn);
    for (const a of value.args) visit(a);
  } else if (Array.isArray(value)) {
    for (const v of value) visit(v);
  } else if (isPlainObject(value)) {
    for (const v of Object.values(value)) visit(v);
  }
}
