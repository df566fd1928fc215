/**
 * The pool of worker processes (`scheduler: 'processes'` in Node): what differs from threads
 * is checked here (the conformance suite runs on it too, test/conformance/pool-node-processes):
 * each worker is a process; values cross by the wire codec and keep their types; errors keep
 * their stacks and codes; a process that dies fails or reruns its work and nothing hangs; no
 * worker process outlives its pool's process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Pool, compute, get, isBaskError, ref, task } from '../../src/index.node.js';
import { buildSpreadPairs } from '../../src/seed/index.js';
import { openProcessPorts, processRuntime } from '../../src/local/runtime-process.js';
import { Point } from './point.js';
import { tasks } from './processes-tasks.js';

const pools: Pool[] = [];
function newPool(numWorkers = 2): Pool {
  const pool = new Pool({ numWorkers, runtime: processRuntime });
  pools.push(pool);
  return pool;
}
const scratch = mkdtempSync(join(tmpdir(), 'bask-processes-'));
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  rmSync(scratch, { recursive: true, force: true });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pids of a pool's worker processes (one task pinned to each). */
async function workerPids(pool: Pool): Promise<number[]> {
  const graph: Record<string, unknown> = {};
  for (let i = 0; i < 16; i++) graph[`pid-${i}`] = task(tasks.pid, i);
  return [...new Set((await get(graph, Object.keys(graph), { scheduler: pool })) as number[])];
}

function runFixture(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = fileURLToPath(new URL('./fixtures/processes-exit.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('pool of worker processes', () => {
  it('runs each worker in a process of its own, named for the scheduler', async () => {
    const pool = newPool();
    expect(pool.schedulerName).toBe('processes');
    const pids = await workerPids(pool);
    expect(pids.length).toBeGreaterThanOrEqual(1);
    for (const pid of pids) expect(pid).not.toBe(process.pid);
    expect(pool.workerIds.every((id) => id.startsWith('processes-'))).toBe(true);
  });

  it('carries registered classes, Dates, typed arrays and Maps between processes as themselves', async () => {
    const pool = newPool();
    const before = await pool.workerStats();
    const graph = {
      a: task(tasks.makeValue, 1),
      b: task(tasks.makeValue, 2),
      seen: task(tasks.inspect, ref('a'), ref('b')),
    };
    const [a, seen] = (await get(graph, ['a', 'seen'], { scheduler: pool })) as [
      ReturnType<typeof tasks.makeValue>,
      string[],
    ];
    expect(seen).toEqual([
      'Point norm=5 2024-01-01 1/0.5/-1 k1:1+2',
      'Point norm=10 2024-01-02 2/1/-2 k2:2+3',
    ]);
    expect(a.point).toBeInstanceOf(Point);
    expect(a.when).toEqual(new Date(Date.UTC(2024, 0, 1)));
    expect(a.numbers).toEqual(new Float64Array([1, 0.5, -1]));
    expect(a.table).toEqual(new Map([['k1', new Set([1, 2])]]));
    expect(a.nested.list).toEqual([1, null, undefined]);
    // The two values were made on two workers: one of them fetched the other's (through here).
    const after = await pool.workerStats();
    const served = Object.keys(after).reduce(
      (s, id) => s + after[id]!.fetchesServed - (before[id]?.fetchesServed ?? 0),
      0,
    );
    expect(served).toBeGreaterThanOrEqual(1);
  });

  it('sends the bytes of the Files a task reads, keeping their names', async () => {
    const pool = newPool(1);
    const good = new File(['timestamp,high,low\n2023-01-02 09:30,3,1\n'], 'ok.csv');
    const bad = new File(['timestamp,high\n2023-01-02,1\n'], 'nolow.csv');
    const [pairs] = await compute(buildSpreadPairs([good]), { scheduler: pool });
    expect(pairs).toEqual([[2, new Date(Date.UTC(2023, 0, 2, 9, 30))]]);
    await expect(compute(buildSpreadPairs([bad]), { scheduler: pool })).rejects.toThrow(
      /'nolow\.csv' has no 'low' column/,
    );
  });

  it("keeps a failed task's error: message, code and the stack from the worker process", async () => {
    const pool = newPool();
    const error = await get({ q: task(tasks.failWithCode, 3) }, 'q', { scheduler: pool }).catch(
      (e: unknown) => e,
    );
    expect(isBaskError(error, 'ERR_TASK_FAILED')).toBe(true);
    const failed = error as Error & { cause?: Error & { code?: string } };
    expect(failed.message).toContain('over quota (limit 3)');
    expect(failed.cause?.code).toBe('E_QUOTA');
    expect(failed.stack).toContain('failWithCode');
    expect(failed.stack).toContain('processes-tasks.ts');
  });

  it('replaces a worker process that exits mid-task and reruns its work', async () => {
    const pool = newPool();
    const graph = {
      a: task(tasks.exitOnceFile, join(scratch, 'a'), 10),
      b: task(tasks.exitOnceFile, join(scratch, 'b'), 20),
      c: task(tasks.add, ref('a'), ref('b')),
    };
    expect(await get(graph, 'c', { scheduler: pool })).toBe(30);
    expect(pool.stats.workersLost).toBeGreaterThanOrEqual(1);
    await vi.waitFor(() => expect(pool.workerIds).toHaveLength(2), { timeout: 20_000 });
    expect(await get({ x: task(tasks.add, 1, 2) }, 'x', { scheduler: pool })).toBe(3);
  });

  it('fails a task that kills three worker processes with ERR_KILLED_WORKER; the pool lives on', async () => {
    const pool = newPool();
    const error = await get(
      { boom: task(tasks.bomb), fine: task(tasks.add, 1, 1) },
      ['fine', 'boom'],
      { scheduler: pool },
    ).catch((e: unknown) => e);
    expect(isBaskError(error, 'ERR_KILLED_WORKER')).toBe(true);
    expect((error as Error).message).toContain("'boom'");
    expect(await get({ x: task(tasks.add, 2, 2) }, 'x', { scheduler: pool })).toBe(4);
  });

  it('blames a crash on the task that ran, not on finished ones whose results were unsent', async () => {
    const pool = newPool(1);
    const graph: Record<string, unknown> = {};
    const inputs = Array.from({ length: 300 }, (_, i) => `x-${i}`);
    inputs.forEach((key, i) => (graph[key] = task(tasks.add, i, 1)));
    graph['boom'] = task(tasks.bombAfter, ...inputs.map((k) => ref(k)));
    const error = await get(graph, 'boom', { scheduler: pool }).catch((e: unknown) => e);
    expect(isBaskError(error, 'ERR_KILLED_WORKER')).toBe(true);
    expect((error as Error).message).toContain("'boom'");
    // The worker says which task it ran when it ends (unless its pipe was busy sending then:
    // that death is blamed on the oldest unanswered task), so no input is failed for it.
    expect(pool.stats.workersLost).toBeGreaterThanOrEqual(3);
  });

  it('survives an uncaught error in a worker process (replaced, work rerun)', async () => {
    const pool = newPool();
    const graph = {
      a: task(tasks.throwLater, 5),
      b: task(tasks.sleep, 50, 6),
      c: task(tasks.add, ref('a'), ref('b')),
    };
    expect(await get(graph, 'c', { scheduler: pool })).toBe(11);
    expect(await get({ x: task(tasks.add, 1, 1) }, 'x', { scheduler: pool })).toBe(2);
  });

  it('stops a task past its timeout with ERR_TIMEOUT and replaces its worker process', async () => {
    const pool = newPool();
    const error = await get({ spin: task(tasks.spinForever) }, 'spin', {
      scheduler: pool,
      timeout: 200,
    }).catch((e: unknown) => e);
    expect(isBaskError(error, 'ERR_TIMEOUT')).toBe(true);
    expect(await get({ x: task(tasks.add, 3, 3) }, 'x', { scheduler: pool })).toBe(6);
  });

  it('refuses to start worker processes inside a worker process', async () => {
    const pool = newPool(1);
    const said = (await get({ n: task(tasks.nested) }, 'n', { scheduler: pool })) as string;
    expect(said).toContain('ERR_INVALID_ARGUMENT');
    expect(said).toContain('cannot start worker processes');
  });

  it('ends its worker processes on close and forgets their ports', async () => {
    await Promise.all(pools.splice(0).map((p) => p.close()));
    await vi.waitFor(() => expect(openProcessPorts()).toBe(0), { timeout: 20_000 });
    const pool = newPool();
    const pids = await workerPids(pool);
    expect(openProcessPorts()).toBeGreaterThan(0);
    await pool.close();
    await vi.waitFor(() => expect(pids.filter(isAlive)).toEqual([]), { timeout: 20_000 });
    await vi.waitFor(() => expect(openProcessPorts()).toBe(0), { timeout: 20_000 });
  });
});

describe('pool of worker processes: lifetime', () => {
  it('lets a script exit once it has computed on processes', async () => {
    const { code, stdout, stderr } = await runFixture([]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('ends the worker processes when the process that started them is killed', async () => {
    const { stdout } = await runFixture(['kill']);
    const pids = JSON.parse(stdout) as number[];
    expect(pids.length).toBeGreaterThanOrEqual(1);
    await vi.waitFor(() => expect(pids.filter(isAlive)).toEqual([]), { timeout: 20_000 });
  });
});
