/**
 * Task execution: evaluate a spec against the data a worker holds. Shared by every worker (the
 * sync scheduler's inline worker, pool threads, cluster workers).
 *
 * A `Task` is called with its args resolved: `Ref`s become stored values, nested `Task`s are
 * evaluated first (and awaited when they return promises), arrays and plain objects holding
 * either are copied with the values in place. Anything else is a literal. The result may be a
 * promise when the function is async; the caller awaits it.
 */
import { BaskError, taskFailed } from '../errors.js';
import { Ref, Task, isPlainObject } from '../graph/spec.js';

/** What a worker holds: key -> value. */
export type DataStore = ReadonlyMap<string, unknown>;

interface Pending {
  container: unknown[] | Record<string, unknown>;
  slot: number | string;
  promise: PromiseLike<unknown>;
}

/** True for promises and other thenables. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Evaluates a spec; returns its value, or a promise of it when something in it is async. */
export function evaluate(spec: unknown, store: DataStore): unknown {
  if (!(spec instanceof Task)) return spec;
  const args = spec.args;
  // Fast path: flat args of literals and refs (no containers, no nested tasks).
  let flat: unknown[] | undefined = new Array<unknown>(args.length);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === null || typeof a !== 'object') flat[i] = a;
    else if (a instanceof Ref) flat[i] = lookup(store, a.key);
    else {
      flat = undefined;
      break;
    }
  }
  if (flat !== undefined) return invoke(spec.fn, flat);
  const pending: Pending[] = [];
  const resolved = resolveArgs(args, store, pending);
  if (pending.length > 0) return settle(pending).then(() => invoke(spec.fn, resolved));
  return invoke(spec.fn, resolved);
}

function invoke(fn: (...args: never[]) => unknown, args: unknown[]): unknown {
  const f = fn as (...a: unknown[]) => unknown;
  switch (args.length) {
    case 0:
      return f();
    case 1:
      return f(args[0]);
    case 2:
      return f(args[0], args[1]);
    case 3:
      return f(args[0], args[1], args[2]);
    default:
      return f(...args);
  }
}

async function settle(pending: Pending[]): Promise<void> {
  const values = await Promise.all(pending.map((p) => p.promise));
  pending.forEach((p, i) => {
    (p.container as Record<string | number, unknown>)[p.slot] = values[i];
  });
}

function resolveArgs(args: readonly unknown[], store: DataStore, pending: Pending[]): unknown[] {
  const out = new Array<unknown>(args.length);
  for (let i = 0; i < args.length; i++) {
    const value = resolve(args[i], store, pending);
    out[i] = value;
    if (args[i] instanceof Task && isThenable(value))
      pending.push({ container: out, slot: i, promise: value });
  }
  return out;
}

function resolve(value: unknown, store: DataStore, pending: Pending[]): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Ref) return lookup(store, value.key);
  if (value instanceof Task) return evaluateNested(value, store, pending);
  if (Array.isArray(value)) return resolveArray(value, store, pending);
  if (isPlainObject(value)) return resolveObject(value, store, pending);
  return value;
}

/** Nested tasks (from fusion or written by hand) run first; a promise is awaited later. */
function evaluateNested(task: Task, store: DataStore, pending: Pending[]): unknown {
  const key = task.key;
  const blame = (error: unknown): never => {
    // A fused task's error names the task that failed, not the one it was fused into.
    throw key === undefined || error instanceof MissingInputError ? error : taskFailed(key, error);
  };
  try {
    // Only what this task's own args left pending is awaited here; siblings' stays with them.
    const mark = pending.length;
    const inner = resolveArgs(task.args, store, pending);
    if (pending.length > mark) {
      const mine = pending.splice(mark);
      return settle(mine)
        .then(() => invoke(task.fn, inner))
        .then(undefined, blame);
    }
    const value = invoke(task.fn, inner);
    return key !== undefined && isThenable(value)
      ? Promise.resolve(value).then(undefined, blame)
      : value;
  } catch (error) {
    return blame(error);
  }
}

function resolveArray(value: readonly unknown[], store: DataStore, pending: Pending[]): unknown {
  let out: unknown[] | undefined;
  for (let i = 0; i < value.length; i++) {
    const item = value[i];
    const resolved = resolve(item, store, pending);
    if (resolved !== item && out === undefined) out = value.slice(0, i);
    if (out !== undefined) {
      out.push(resolved);
      if (item instanceof Task && isThenable(resolved))
        pending.push({ container: out, slot: i, promise: resolved });
    }
  }
  return out ?? value;
}

function resolveObject(
  value: Record<string, unknown>,
  store: DataStore,
  pending: Pending[],
): unknown {
  let out: Record<string, unknown> | undefined;
  for (const k of Object.keys(value)) {
    const item = value[k];
    const resolved = resolve(item, store, pending);
    if (resolved !== item && out === undefined) out = { ...value };
    if (out !== undefined) {
      out[k] = resolved;
      if (item instanceof Task && isThenable(resolved))
        pending.push({ container: out, slot: k, promise: resolved });
    }
  }
  return out ?? value;
}

/**
 * An input a task needs is not in this worker's store: not the task's fault. Workers report it
 * as missing data (the engine reschedules), never as the task's failure.
 */
export class MissingInputError extends BaskError {
  constructor(key: string) {
    super('ERR_MISSING_KEY', `Data for '${key}' is not held by this worker`, { key });
  }
}

function lookup(store: DataStore, key: string): unknown {
  const value = store.get(key);
  if (value === undefined && !store.has(key)) throw new MissingInputError(key);
  return value;
}
