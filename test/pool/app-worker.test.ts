/**
 * An app's own pool worker (`Pool({ worker })` + `startWorker` from `bask/worker`), in Node:
 * task modules named (not located) are found in the worker that imported them, never imported
 * by URL; bask's own worker cannot find them and says what to do; bad factories are refused.
 */
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { Pool, compute, delayed, isBaskError } from '../../src/index.node.js';
import { startWorker } from '../../src/index.worker.js';
import { appTasks } from './fixtures/app-tasks.js';
import { rejection } from '../helpers.js';

const ENTRY = new URL('./fixtures/app-worker.ts', import.meta.url).href;

/** The fixture entry, through tsx's loader (these tests run from TypeScript sources). */
function appWorker(name: string): Worker {
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const source = `import(${tsx}).then((t) => { t.register(); return import(${JSON.stringify(ENTRY)}); })`;
  return new Worker(source, { eval: true, name });
}

const pools: Pool[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

function pool(options: ConstructorParameters<typeof Pool>[0]): Pool {
  const p = new Pool(options);
  pools.push(p);
  return p;
}

describe("an app's own pool worker", () => {
  it('runs named task modules that its entry imported', async () => {
    const p = pool({ numWorkers: 2, worker: appWorker });
    const doubled = Array.from({ length: 4 }, (_, i) => delayed(appTasks.double)(i));
    const [values, where] = await compute(doubled, delayed(appTasks.whereAmI)(), {
      scheduler: p,
    });
    expect(values).toEqual([0, 2, 4, 6]);
    expect(where).toBe('app worker');
    expect(delayed(appTasks.double)(1).key).toMatch(/^double-/);
  });

  it("fails with ERR_FUNCTION_NOT_FOUND on bask's own worker, naming the module", async () => {
    const p = pool({ numWorkers: 1 });
    const error = await rejection(compute(delayed(appTasks.double)(1), { scheduler: p }));
    expect(isBaskError(error, 'ERR_FUNCTION_NOT_FOUND')).toBe(true);
    expect((error as Error).message).toContain("no task module named 'test/app-tasks'");
    expect((error as Error).message).toContain('startWorker');
  });

  it('refuses a worker option that is not a factory of Workers', async () => {
    expect(() => new Pool({ worker: 'app-worker.js' as never })).toThrow(/must be a function/);
    const p = pool({ numWorkers: 1, worker: () => ({ terminate: () => undefined }) });
    const error = await rejection(compute(delayed(appTasks.double)(1), { scheduler: p }));
    expect(isBaskError(error, 'ERR_INVALID_ARGUMENT')).toBe(true);
    expect((error as Error).message).toContain('worker_threads Worker');
  });

  it('startWorker refuses what defineTasks did not make', () => {
    let error: unknown;
    try {
      startWorker({ double: (x: number) => x } as never);
    } catch (e) {
      error = e;
    }
    expect(isBaskError(error, 'ERR_INVALID_ARGUMENT')).toBe(true);
    expect((error as Error).message).toContain('argument 1 is not a task module');
  });
});
