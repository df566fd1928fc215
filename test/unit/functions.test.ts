/**
 * How a worker finds task functions (worker/functions.ts): modules its own entry defined are
 * found by id without importing anything (the bundled-app path), URLs are imported once, and a
 * module it cannot reach fails with ERR_FUNCTION_NOT_FOUND saying how to give it one.
 */
import { describe, expect, it } from 'vitest';
import { isBaskError } from '../../src/errors.js';
import { defineTasks, describeFunction } from '../../src/graph/fnref.js';
import { FunctionCache } from '../../src/worker/functions.js';

const double = (x: number): number => x * 2;

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('FunctionCache', () => {
  it('finds a module defined in this runtime by its name, importing nothing', async () => {
    const tasks = defineTasks('app/functions-test', { double });
    const imported: string[] = [];
    const cache = new FunctionCache((url) => {
      imported.push(url);
      return Promise.resolve({});
    });
    const ref = describeFunction(tasks.double);
    expect(cache.isReady(ref)).toBe(true);
    await cache.prepare(ref);
    expect((cache.resolve(ref) as (x: number) => number)(21)).toBe(42);
    expect(imported).toEqual([]);
  });

  it('imports a URL module once and takes the map its defineTasks made', async () => {
    const imported: string[] = [];
    const url = 'file:///virtual/functions-test.js';
    const cache = new FunctionCache((id) => {
      imported.push(id);
      // What importing the module does: its top level defines its tasks under its URL.
      const tasks = defineTasks(id, { triple: (x: number) => x * 3 });
      return Promise.resolve({ tasks });
    });
    const ref = { kind: 'module', module: url, name: 'triple' } as const;
    expect(cache.isReady(ref)).toBe(false);
    await Promise.all([cache.prepare(ref), cache.prepare(ref)]);
    expect((cache.resolve(ref) as (x: number) => number)(5)).toBe(15);
    expect(imported).toEqual([url]);
  });

  it('fails for a named module the worker entry did not import, saying what to do', async () => {
    const cache = new FunctionCache(() => Promise.reject(new Error('must not import')));
    const error = await failure(cache.load('app/never-defined'));
    expect(isBaskError(error, 'ERR_FUNCTION_NOT_FOUND')).toBe(true);
    expect((error as Error).message).toContain("no task module named 'app/never-defined'");
    expect((error as Error).message).toContain('startWorker');
  });

  it('keeps the import error of a URL module as the cause', async () => {
    const reason = new Error('document is not defined');
    const cache = new FunctionCache(() => Promise.reject(reason));
    const error = await failure(cache.load('https://app.example/assets/index-1a2b.js'));
    expect(isBaskError(error, 'ERR_FUNCTION_NOT_FOUND')).toBe(true);
    expect((error as Error).message).toContain('document is not defined');
    expect((error as Error).message).toContain("defineTasks('app/tasks'");
    expect((error as { cause?: unknown }).cause).toBe(reason);
  });

  it('says which task a module lacks', async () => {
    defineTasks('app/functions-lacking', { double });
    const cache = new FunctionCache();
    const ref = { kind: 'module', module: 'app/functions-lacking', name: 'halve' } as const;
    await cache.prepare(ref);
    let error: unknown;
    try {
      cache.resolve(ref);
    } catch (e) {
      error = e;
    }
    expect(isBaskError(error, 'ERR_FUNCTION_NOT_FOUND')).toBe(true);
    expect((error as Error).message).toContain("no task 'halve'");
  });
});
