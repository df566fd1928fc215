/**
 * Function references: how a task names its function so that another thread or machine can
 * find it. Functions are named, never captured.
 *
 * - `op`: a built-in op (`getattr`, `methodcall`, `op.add`, ...), known everywhere;
 * - `module`: an export of a task module (`defineTasks(import.meta.url, { readCsv })`), imported
 *   by URL where it runs: the way for functions with imports of their own;
 * - `source`: a self-contained function (no free variables), shipped as its source text and
 *   compiled once per worker, cached by hash.
 *
 * `describeFunction` decides which, once per function (cached). Native and bound functions
 * cannot be shipped: they get `ERR_UNSHIPPABLE_FUNCTION` with what to do instead.
 */
import { BaskError } from '../errors.js';
import { builtinOps } from './ops.js';
import { hashString } from './hash.js';

/** A shippable reference to a function. */
export type FnRef =
  | { readonly kind: 'op'; readonly op: string }
  | { readonly kind: 'module'; readonly url: string; readonly name: string }
  | {
      readonly kind: 'source';
      readonly source: string;
      readonly hash: string;
      readonly name: string;
    };

/** The tag that marks an object returned by `defineTasks` (shared across module copies). */
export const TASK_MODULE_TAG: unique symbol = Symbol.for('bask.taskModule') as never;

const refs = new WeakMap<object, FnRef>();
const opNames = new Map<unknown, string>();
for (const [name, fn] of builtinOps) {
  opNames.set(fn, name);
  refs.set(fn, { kind: 'op', op: name });
}

/** A map of task functions, as `defineTasks` returns it (the same object, tagged). */
export type TaskModule<T extends Record<string, (...args: never[]) => unknown>> = T & {
  readonly [TASK_MODULE_TAG]: string;
};

/**
 * Marks a module's functions as tasks that workers may import: call it in the module that
 * defines them and export the result.
 *
 * ```ts
 * // tasks.ts
 * export const tasks = defineTasks(import.meta.url, { readCsv, spread });
 * // main.ts
 * delayed(tasks.readCsv)(file)
 * ```
 *
 * Workers `import(moduleUrl)` and find each function by its name here, so the module must be
 * importable where tasks run (no DOM access at its top level).
 */
export function defineTasks<T extends Record<string, (...args: never[]) => unknown>>(
  moduleUrl: string,
  functions: T,
): TaskModule<T> {
  if (typeof moduleUrl !== 'string' || !/^[a-z][a-z0-9+.-]*:/i.test(moduleUrl)) {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `defineTasks(moduleUrl, functions): moduleUrl must be an absolute URL such as import.meta.url, got ${String(moduleUrl)}`,
    );
  }
  for (const [name, fn] of Object.entries(functions)) {
    if (typeof fn !== 'function') {
      throw new BaskError(
        'ERR_INVALID_ARGUMENT',
        `defineTasks: '${name}' must be a function, got ${typeof fn}`,
      );
    }
    if (!refs.has(fn)) refs.set(fn, { kind: 'module', url: moduleUrl, name });
  }
  Object.defineProperty(functions, TASK_MODULE_TAG, { value: moduleUrl, enumerable: false });
  return functions as TaskModule<T>;
}

/** Registers `fn` as the export `name` of the module at `moduleUrl` (what defineTasks does). */
export function registerTaskFunction(
  fn: (...args: never[]) => unknown,
  moduleUrl: string,
  name: string,
): void {
  refs.set(fn, { kind: 'module', url: moduleUrl, name });
}

/**
 * The name keys are made of: the name given to `defineTasks` for task-module functions (it
 * survives minification), else the function's own name, else 'lambda'.
 */
export function taskName(fn: (...args: never[]) => unknown): string {
  const known = refs.get(fn);
  if (known?.kind === 'module') return known.name;
  return fn.name === '' ? 'lambda' : fn.name;
}

/** The built-in op name of `fn`, or undefined. */
export function opName(fn: unknown): string | undefined {
  return opNames.get(fn);
}

/** Whether `fn` is known without shipping code (a built-in op or a task-module export). */
export function isNamedFunction(fn: unknown): boolean {
  const known = typeof fn === 'function' ? refs.get(fn) : undefined;
  return known !== undefined && known.kind !== 'source';
}

/**
 * The shippable reference of `fn`; throws `ERR_UNSHIPPABLE_FUNCTION` for native and bound
 * functions and for classes. Cached per function.
 */
export function describeFunction(fn: (...args: never[]) => unknown): FnRef {
  const known = refs.get(fn);
  if (known !== undefined) return known;
  const ref = sourceRef(fn);
  refs.set(fn, ref);
  return ref;
}

function sourceRef(fn: (...args: never[]) => unknown): FnRef {
  const name = fn.name || 'anonymous';
  const text = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(text)) {
    const what = name.startsWith('bound ')
      ? `bound function '${name.slice(6)}'`
      : `native function '${name}'`;
    throw unshippable(name, `${what} has no source to ship`);
  }
  if (/^class\b/.test(text)) throw unshippable(name, `'${name}' is a class, not a function`);
  const source = toExpression(text, name);
  return { kind: 'source', source, hash: hashString(source), name };
}

/** Method shorthand (`foo(x) {}` from an object literal) is not an expression; wrap it. */
function toExpression(text: string, name: string): string {
  if (/^(async\s+)?(function\b|\(|[\w$]+\s*=>|\([^)]*\)\s*=>)/.test(text)) return text;
  if (/^(async\s*)?\*?\s*[\w$]+\s*\(/.test(text) || /^(get|set)\s/.test(text)) {
    return `({ ${text} })[${JSON.stringify(name)}]`;
  }
  return text;
}

/** The error for a function that cannot reach a worker. */
export function unshippable(name: string, why: string, freeVariable?: string): BaskError {
  const variable =
    freeVariable === undefined ? '' : ` It uses '${freeVariable}' from an outer scope.`;
  return new BaskError(
    'ERR_UNSHIPPABLE_FUNCTION',
    `Function '${name}' cannot be sent to a worker: ${why}.${variable} ` +
      `Pass such values as arguments, or export the function from a task module ` +
      `(export const tasks = defineTasks(import.meta.url, { ${name} })).`,
  );
}
