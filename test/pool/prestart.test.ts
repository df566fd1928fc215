/**
 * Worker threads started ahead of demand (runtime-node.ts `prestartWorkers`, which `bask
 * spreads --scheduler threads` calls before it loads and lists): a pool takes them before it
 * starts its own, and untaken ones never keep a process alive. And a pool's own `start()`,
 * which starts its workers before its first computation.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Pool, defaultPool, delayed, compute, isBaskError } from '../../src/index.node.js';
import { prestartWorkers, prestartedCount } from '../../src/local/runtime-node.js';
import { tasks } from './tasks.js';

function run(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL(script, import.meta.url))],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('prestarted pool workers', () => {
  it('are taken by the next pool before it starts workers of its own', async () => {
    prestartWorkers(2);
    expect(prestartedCount()).toBe(2);
    const pool = new Pool({ numWorkers: 2 });
    try {
      const values = Array.from({ length: 8 }, (_, i) => delayed(tasks.add)(i, 1));
      const [results] = await compute(values, { scheduler: pool });
      expect(results).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(prestartedCount()).toBe(0);
    } finally {
      await pool.close();
    }
  });

  it('do not keep a process alive when nothing takes them', async () => {
    const { code, stdout, stderr } = await run('./fixtures/prestart-unused.ts');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.trim()).toBe('started');
  });
});

describe('Pool.start', () => {
  it('starts the workers before the first computation, once', async () => {
    const pool = new Pool({ numWorkers: 2 });
    try {
      expect(pool.workerIds).toEqual([]);
      await Promise.all([pool.start(), pool.start()]);
      const started = pool.workerIds;
      expect(started).toHaveLength(2);
      await pool.start();
      const [sum] = await compute(delayed(tasks.add)(1, 2), { scheduler: pool });
      expect(sum).toBe(3);
      // The computation ran on the workers started ahead, not on new ones.
      expect(pool.workerIds).toEqual(started);
    } finally {
      await pool.close();
    }
  });

  it('rejects with ERR_POOL_CLOSED once the pool is closed', async () => {
    const pool = new Pool({ numWorkers: 1 });
    await pool.close();
    const error: unknown = await pool.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isBaskError(error) && error.code).toBe('ERR_POOL_CLOSED');
  });

  it('starts the shared pool behind "threads" (defaultPool.start)', async () => {
    await defaultPool.start(1);
    try {
      expect(defaultPool.pool(1).workerIds).toHaveLength(1);
    } finally {
      await defaultPool.close();
    }
  });

  it('does not keep a process alive when nothing runs on the pool', async () => {
    const { code, stdout, stderr } = await run('./fixtures/pool-start-unused.ts');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.trim()).toBe('started 2');
  });
});
