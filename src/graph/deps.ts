/**
 * Dependencies of a node: the keys its `Ref`s and `Alias` name, found by walking task args and
 * literal arrays and plain objects (class instances, typed arrays and strings are data and are
 * not looked into). Iterative, so deeply nested args do not overflow the stack.
 */
import { Alias, Ref, Task, isPlainObject } from './spec.js';

const NO_DEPS: readonly string[] = Object.freeze([]);

/** The keys a node depends on, unique, in first-seen order. */
export function nodeDependencies(node: unknown): readonly string[] {
  if (node instanceof Task) {
    const args = node.args;
    if (!hasFlatArgs(node)) return walk(args);
    // Fast path: flat args with no nested containers (the common case).
    let deps: string[] | undefined;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (!(a instanceof Ref)) continue;
      if (deps === undefined) deps = [a.key];
      else if (!deps.includes(a.key)) deps.push(a.key);
    }
    return deps ?? NO_DEPS;
  }
  if (node instanceof Alias || node instanceof Ref) return [node.key];
  if (node !== null && typeof node === 'object' && !isLeafObject(node)) return walk(node);
  return NO_DEPS;
}

/**
 * True when a task's args hold no container (array, plain object, nested task): its
 * dependencies are then exactly the keys of its top-level `Ref`s.
 */
export function hasFlatArgs(task: Task): boolean {
  const args = task.args;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a !== null && typeof a === 'object' && !(a instanceof Ref) && !isLeafObject(a))
      return false;
  }
  return true;
}

/**
 * True when a literal holds a `Task` (in arrays and plain objects, at any depth): such a literal
 * is evaluated, as Dask evaluates `[1, (inc, 1)]` to `[1, 2]`. Iterative.
 */
export function containsTask(value: unknown): boolean {
  if (value instanceof Task) return true;
  if (value === null || typeof value !== 'object' || isLeafObject(value)) return false;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v instanceof Task) return true;
    if (Array.isArray(v)) for (const x of v) pushIfContainer(x, stack);
    else if (isPlainObject(v)) for (const k in v) pushIfContainer(v[k], stack);
  }
  return false;
}

function pushIfContainer(x: unknown, stack: unknown[]): void {
  if (x !== null && typeof x === 'object') stack.push(x);
}

function isLeafObject(value: object): boolean {
  return !(
    Array.isArray(value) ||
    value instanceof Task ||
    value instanceof Ref ||
    isPlainObject(value)
  );
}

function walk(root: unknown): readonly string[] {
  const seen = new Set<string>();
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v instanceof Ref) seen.add(v.key);
    else if (v instanceof Task) pushReversed(v.args, stack);
    else if (Array.isArray(v)) pushReversed(v, stack);
    else if (isPlainObject(v)) {
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) stack.push(v[keys[i] as string]);
    }
  }
  return seen.size === 0 ? NO_DEPS : [...seen];
}

function pushReversed(items: readonly unknown[], stack: unknown[]): void {
  for (let i = items.length - 1; i >= 0; i--) {
    const x = items[i];
    if (x !== null && typeof x === 'object') stack.push(x);
  }
}
