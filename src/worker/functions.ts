/**
 * Function loading in a worker: from a `FnRef` to a callable.
 *
 * - ops: looked up by name;
 * - module exports: `import(url)` once per module, then the export by name (a plain export, or
 *   a member of an object made by `defineTasks`);
 * - source: compiled once per hash in the worker's global scope, so a function that used a
 *   variable of its defining scope fails on first run with a ReferenceError, which becomes
 *   ERR_UNSHIPPABLE_FUNCTION naming the function and the variable.
 *
 * `prepare` does the async part (imports); `resolve` is sync afterwards.
 */
import { BaskError } from '../errors.js';
import { TASK_MODULE_TAG, unshippable, type FnRef } from '../graph/fnref.js';
import { builtinOps } from '../graph/ops.js';
import { importTaskModule } from './builtins.js';

type Fn = (...args: never[]) => unknown;

/** Bundlers' helpers that compiled functions may call (esbuild's keepNames adds __name). */
const name = <T>(target: T): T => target;

/** Loads and caches a worker's functions. */
export class FunctionCache {
  private readonly modules = new Map<string, Record<string, unknown>>();
  private readonly loading = new Map<string, Promise<void>>();
  private readonly sources = new Map<string, Fn>();

  constructor(
    private readonly importModule: (url: string) => Promise<unknown> = importTaskModule,
  ) {}

  /** True when `resolve(ref)` can run now without importing anything. */
  isReady(ref: FnRef): boolean {
    return ref.kind !== 'module' || this.modules.has(ref.url);
  }

  /** Imports the module a reference needs (once). */
  prepare(ref: FnRef): Promise<void> {
    if (ref.kind !== 'module' || this.modules.has(ref.url)) return Promise.resolve();
    return this.load(ref.url);
  }

  /** Imports a module by URL (for task modules and for modules of registered types). */
  load(url: string): Promise<void> {
    let pending = this.loading.get(url);
    if (pending === undefined) {
      pending = this.importModule(url).then(
        (ns) => {
          this.modules.set(url, ns as Record<string, unknown>);
        },
        (error: unknown) => {
          this.loading.delete(url);
          throw new BaskError(
            'ERR_FUNCTION_NOT_FOUND',
            `Could not import task module ${url} in a worker: ${error instanceof Error ? error.message : String(error)}`,
            { cause: error },
          );
        },
      );
      this.loading.set(url, pending);
    }
    return pending;
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
        return this.fromModule(ref.url, ref.name);
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
      `Task module ${url} has no task '${exportName}': export it, or list it in defineTasks(import.meta.url, { ... })`,
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
