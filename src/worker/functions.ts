/**
 * Function loading in a worker: from a `FnRef` to a callable.
 *
 * - ops: looked up by name;
 * - module exports: the module's functions when this runtime defined it (the worker's entry
 *   imported it), else `import(id)` once when the id is a URL; then the export by name (a plain
 *   export, or a member of an object made by `defineTasks`);
 * - source: compiled once per hash in the worker's global scope, so a function that used a
 *   variable of its defining scope fails on first run with a ReferenceError, which becomes
 *   ERR_UNSHIPPABLE_FUNCTION naming the function and the variable.
 *
 * `prepare` does the async part (imports); `resolve` is sync afterwards.
 */
import { BaskError } from '../errors.js';
import {
  TASK_MODULE_TAG,
  definedTaskModule,
  isModuleUrl,
  unshippable,
  type FnRef,
} from '../graph/fnref.js';
import { builtinOps } from '../graph/ops.js';
import { importByUrl } from './import-url.js';

type Fn = (...args: never[]) => unknown;

/** Bundlers' helpers that compiled functions may call (esbuild's keepNames adds __name). */
const name = <T>(target: T): T => target;

/** Loads and caches a worker's functions. */
export class FunctionCache {
  private readonly modules = new Map<string, Record<string, unknown>>();
  private readonly loading = new Map<string, Promise<void>>();
  private readonly sources = new Map<string, Fn>();

  constructor(private readonly importModule: (url: string) => Promise<unknown> = importByUrl) {}

  /** True when `resolve(ref)` can run now without importing anything. */
  isReady(ref: FnRef): boolean {
    return ref.kind !== 'module' || this.modules.has(ref.module) || this.adoptDefined(ref.module);
  }

  /** Loads the module a reference needs (once). */
  prepare(ref: FnRef): Promise<void> {
    if (ref.kind !== 'module') return Promise.resolve();
    return this.load(ref.module);
  }

  /**
   * Loads a module by id (task modules, and modules of registered types): one this runtime
   * defined, else a built-in or a URL imported once.
   */
  load(id: string): Promise<void> {
    if (this.modules.has(id) || this.adoptDefined(id)) return Promise.resolve();
    if (!isModuleUrl(id)) return Promise.reject(moduleNotFound(id, undefined));
    let pending = this.loading.get(id);
    if (pending === undefined) {
      pending = this.importModule(id).then(
        (ns) => {
          // The module's own defineTasks call, when it made one under this id, is the map.
          this.modules.set(id, definedTaskModule(id) ?? (ns as Record<string, unknown>));
        },
        (error: unknown) => {
          this.loading.delete(id);
          throw moduleNotFound(id, error);
        },
      );
      this.loading.set(id, pending);
    }
    return pending;
  }

  /** Takes the module `id` from this runtime's defined task modules; false when it has none. */
  private adoptDefined(id: string): boolean {
    const defined = definedTaskModule(id);
    if (defined === undefined) return false;
    this.modules.set(id, defined);
    return true;
  }

  /** The callable for a reference (after `prepare`). */
  resolve(ref: FnRef): Fn {
    switch (ref.kind) {
      case 'op': {
        const op = builtinOps.get(ref.op);
        if (op === undefined)
          throw new BaskError('ERR_FUNCTION_NOT_FOUND', `Unknown built-in op '${ref.op}'`);
        return op;
      }
      case 'module':
        return this.fromModule(ref.module, ref.name);
      case 'source':
        return this.fromSource(ref.hash, ref.source, ref.name);
    }
  }

  private fromModule(url: string, exportName: string): Fn {
    const ns = this.modules.get(url);
    if (ns === undefined)
      throw new BaskError('ERR_FUNCTION_NOT_FOUND', `Task module ${url} is not loaded`);
    const direct = ns[exportName];
    if (typeof direct === 'function') return direct as Fn;
    for (const value of Object.values(ns)) {
      if (value !== null && typeof value === 'object' && TASK_MODULE_TAG in value) {
        const fn = (value as Record<string, unknown>)[exportName];
        if (typeof fn === 'function') return fn as Fn;
      }
    }
    throw new BaskError(
      'ERR_FUNCTION_NOT_FOUND',
      `Task module ${url} has no task '${exportName}': export it, or list it in defineTasks(id, { ... })`,
    );
  }

  private fromSource(hash: string, source: string, fnName: string): Fn {
    const cached = this.sources.get(hash);
    if (cached !== undefined) return cached;
    if (source === '') {
      throw new BaskError(
        'ERR_FUNCTION_NOT_FOUND',
        `Function '${fnName}' (${hash}) was referenced before its source arrived`,
      );
    }
    let fn: unknown;
    try {
      // eslint-disable-next-line @typescript-eslint/no-implied-eval
      const compile = new Function('__name', `"use strict"; return (${source});`) as (
        helper: typeof name,
      ) => unknown;
      fn = compile(name);
    } catch (error) {
      throw unshippable(
        fnName,
        `its source does not compile on its own (${error instanceof Error ? error.message : String(error)})`,
      );
    }
    if (typeof fn !== 'function')
      throw unshippable(fnName, 'its source is not a function expression');
    const wrapped = explainFreeVariables(fn as Fn, fnName);
    this.sources.set(hash, wrapped);
    return wrapped;
  }
}

/** How to make a module reachable from a worker: an app's own worker entry imports it. */
const WORKER_ENTRY_HINT =
  "In an app built by a bundler, name the module (defineTasks('app/tasks', { ... })), start your own " +
  "pool worker that imports it (import { startWorker } from 'bask/worker'; startWorker(tasks)) and " +
  "give that worker to the pool (new Pool({ worker: () => new Worker(new URL('./bask.worker.ts', " +
  "import.meta.url), { type: 'module' }) })): see 'Using bask in your app' in the README.";

/** The error for a task module a worker could not load (`error`: why an import failed). */
function moduleNotFound(id: string, error: unknown): BaskError {
  if (error === undefined) {
    return new BaskError(
      'ERR_FUNCTION_NOT_FOUND',
      `This worker has no task module named '${id}': its entry did not import it. ${WORKER_ENTRY_HINT}`,
    );
  }
  const why = error instanceof Error ? error.message : JSON.stringify(error);
  return new BaskError(
    'ERR_FUNCTION_NOT_FOUND',
    `Could not import task module ${id} in a worker: ${why}. ${WORKER_ENTRY_HINT}`,
    { cause: error },
  );
}

/** A ReferenceError from a shipped function almost always means it used a captured variable. */
function explainFreeVariables(fn: Fn, fnName: string): Fn {
  const translate = (error: unknown): never => {
    if (error instanceof ReferenceError) {
      const match = /^(\S+) is not defined/.exec(error.message);
      const variable = match?.[1];
      const failure = unshippable(
        fnName,
        'it refers to a variable that does not exist in the worker',
        variable,
      );
      (failure as { cause?: unknown }).cause = error;
      throw failure;
    }
    throw error;
  };
  const wrapper = function (this: unknown, ...args: unknown[]): unknown {
    try {
      const result = (fn as (...a: unknown[]) => unknown).apply(this, args);
      if (
        result !== null &&
        typeof result === 'object' &&
        typeof (result as { then?: unknown }).then === 'function'
      ) {
        return (result as Promise<unknown>).then(undefined, translate);
      }
      return result;
    } catch (error) {
      return translate(error);
    }
  };
  Object.defineProperty(wrapper, 'name', { value: fn.name });
  return wrapper;
}
