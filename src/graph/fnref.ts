/**
 * Function references: how a task names its function so that another thread or machine can
 * find it. Functions are named, never captured.
 *
 * - `op`: a built-in op (`getattr`, `methodcall`, `op.add`, ...), known everywhere;
 * - `module`: an export of a task module (`defineTasks('app/tasks', { readCsv })`): the way for
 *   functions with imports of their own. A worker finds the module by its id: in the modules its
 *   own entry imported (an app's pool worker, see `bask/worker`), or by importing the id when it
 *   is a URL (`import.meta.url`: unbundled code, Node, cluster workers);
 * - `source`: a self-contained function (no free variables), shipped as its source text and
 *   compiled once per worker, cached by hash.
 *
 * `describeFunction` decides which, once per function (cached). Callbacks passed as task
 * arguments (`xs.filter((x) => x > 0)`) are described the same way. Native and bound functions
 * cannot be shipped: they get `ERR_UNSHIPPABLE_FUNCTION` with what to do instead.
 */
import { BaskError } from '../errors.js';
import { builtinOps } from './ops.js';
import { hashString } from './hash.js';

/** A shippable reference to a function. */
export type FnRef =
  | { readonly kind: 'op'; readonly op: string }
  | { readonly kind: 'module'; readonly module: string; readonly name: string }
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

/** Any task module, whatever its functions. */
export type AnyTaskModule = TaskModule<Record<string, (...args: never[]) => unknown>>;

type TaskFunctions = Readonly<Record<string, unknown>>;

const MODULES_KEY = Symbol.for('bask.taskModules');

/**
 * The task modules defined in this runtime (this thread), by id. On `globalThis` under a
 * `Symbol.for` key, so that several copies of bask in one runtime (an app's worker entry and
 * a task module that imports 'bask', pre-bundled apart by a dev server) share it.
 */
function definedModules(): Map<string, TaskFunctions> {
  const holder = globalThis as unknown as Record<symbol, Map<string, TaskFunctions> | undefined>;
  let modules = holder[MODULES_KEY];
  if (modules === undefined) {
    modules = new Map();
    holder[MODULES_KEY] = modules;
  }
  return modules;
}

/** The functions of the task module `id` when it was defined in this runtime, else undefined. */
export function definedTaskModule(id: string): TaskFunctions | undefined {
  return definedModules().get(id);
}

/** Whether `id` is an absolute URL (a module a worker can import) rather than a plain name. */
export function isModuleUrl(id: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(id);
}

/**
 * Marks a module's functions as tasks that workers can run: call it in the module that defines
 * them and export the result. `id` names the module, the same in every runtime:
 *
 * - a name of your choosing (`'app/tasks'`), in apps that a bundler builds: import the module
 *   in your pool worker's entry (`startWorker(tasks)` from `bask/worker`) and hand that worker
 *   to the pool (`new Pool({ worker })`); the name survives minification and chunking;
 * - `import.meta.url`, where workers can import the module by that URL themselves: Node,
 *   unbundled pages, and cluster workers (a Node client uploads its `file:` modules).
 *
 * ```ts
 * // tasks.ts
 * export const tasks = defineTasks('app/tasks', { readCsv, spread });
 * // main.ts
 * delayed(tasks.readCsv)(file); // key 'readCsv-<token>'
 * ```
 *
 * Task keys are named after the names given here, not after the functions' own (minified)
 * names. The module must be importable where tasks run (no DOM access at its top level).
 */
export function defineTasks<T extends Record<string, (...args: never[]) => unknown>>(
  id: string,
  functions: T,
): TaskModule<T> {
  if (typeof id !== 'string' || id.trim() === '' || id.trim() !== id) {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `defineTasks(id, functions): id must be a module name such as 'app/tasks' or a URL such as import.meta.url, got ${JSON.stringify(id) ?? String(id)}`,
    );
  }
  if (functions === null || typeof functions !== 'object') {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `defineTasks('${id}', functions): functions must be an object of functions, got ${functions === null ? 'null' : typeof functions}`,
    );
  }
  for (const [name, fn] of Object.entries(functions)) {
    if (typeof fn !== 'function') {
      throw new BaskError(
        'ERR_INVALID_ARGUMENT',
        `defineTasks: '${name}' must be a function, got ${typeof fn}`,
      );
    }
    if (!refs.has(fn)) refs.set(fn, { kind: 'module', module: id, name });
  }
  Object.defineProperty(functions, TASK_MODULE_TAG, { value: id, enumerable: false });
  definedModules().set(id, functions);
  return functions as TaskModule<T>;
}

/** Whether `value` was made by `defineTasks`. */
export function isTaskModule(value: unknown): value is AnyTaskModule {
  return value !== null && typeof value === 'object' && TASK_MODULE_TAG in value;
}

/** Registers `fn` as the export `name` of the module `id` (what defineTasks does for each). */
export function registerTaskFunction(
  fn: (...args: never[]) => unknown,
  id: string,
  name: string,
): void {
  refs.set(fn, { kind: 'module', module: id, name });
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
  // An anonymous callback (`xs.map((x) => x * k)`) is named by its text in error messages.
  const label = fn.name === '' ? excerpt(text) : fn.name;
  return { kind: 'source', source, hash: hashString(source), name: label };
}

/** The start of a function's text on one line, for naming anonymous functions. */
function excerpt(text: string): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
}

/** Whether `value` has the shape of a FnRef (for decoders checking what arrived). */
export function isFnRef(value: unknown): value is FnRef {
  if (value === null || typeof value !== 'object') return false;
  const r = value as Record<string, unknown>;
  switch (r['kind']) {
    case 'op':
      return typeof r['op'] === 'string';
    case 'module':
      return typeof r['module'] === 'string' && typeof r['name'] === 'string';
    case 'source':
      return (
        typeof r['source'] === 'string' &&
        typeof r['hash'] === 'string' &&
        typeof r['name'] === 'string'
      );
    default:
      return false;
  }
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
  const entry = /^[A-Za-z_$][\w$]*$/.test(name) ? name : `callback: ${name}`;
  return new BaskError(
    'ERR_UNSHIPPABLE_FUNCTION',
    `Function '${name}' cannot be sent to a worker: ${why}.${variable} ` +
      `Pass such values as arguments, or export the function from a task module ` +
      `(export const tasks = defineTasks('app/tasks', { ${entry} })).`,
  );
}
