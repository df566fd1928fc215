/**
 * dask.distributed's `distributed/tests/test_client.py`, ported to bask's Client: each test is
 * named after Dask's and restated for bask's API (no code copied). The suite runs against a
 * real cluster (`dask-client.test.ts`: a scheduler and two worker processes) and against
 * `Client.local` (`test/pool/dask-client-local.test.ts`).
 *
 * Where JavaScript forces another form, a comment says so. The ones that recur:
 * - No keyword arguments: options are a trailing object (`submit(fn, x, { key: 'x' })`).
 * - `await future` is Dask's `await future` (Futures are thenable), so methods that hand out
 *   futures return them synchronously: `scatter`, `compute`, `persist` and `get` included.
 * - Dask's sync and async variants of a test are one test (JavaScript has only async waits).
 * - Dask's tests look into `s.tasks` / `a.data`; here the client's `info()` (task states and
 *   keys per worker) stands in for the scheduler's state.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  Client,
  Future,
  type FutureView,
  alias,
  delayed,
  get as localGet,
  isBaskError,
  isDelayed,
  ref,
  task,
  wait,
} from '../../src/index.node.js';
import { tasks } from './dask-tasks.js';
import { rejection, thrown } from '../helpers.js';

/** What the suite needs of the cluster it runs on. */
export interface SuiteEnv {
  /** The client under test. */
  readonly client: Client;
  /** Another client of the same scheduler (or pool); closed by the caller. */
  connectOther(): Promise<Client>;
}

let markerCount = 0;
const markers: string[] = [];
afterAll(() => {
  for (const m of markers) rmSync(m, { force: true });
});

/** A fresh path for a file that tasks wait for or count in. */
export function marker(): string {
  const path = join(tmpdir(), `bask-dask-${process.pid}-${Date.now()}-${markerCount++}`);
  markers.push(path);
  return path;
}

/** Lets tasks waiting on `path` (blockUntil) go on. */
export function release(path: string): void {
  if (!existsSync(path)) writeFileSync(path, 'go');
}

/**
 * Waits until the scheduler (or pool) has forgotten `keys` (Dask's tests poll `s.tasks`).
 * Counting all tasks would not do: other tests' futures go with the garbage collector.
 */
export async function forgotten(client: Client, keys: readonly string[]): Promise<void> {
  await vi.waitFor(async () => expect([...(await client.whoHas(keys)).keys()]).toEqual([]), {
    timeout: 20_000,
  });
}

/** The ports of test_client.py that apply to any bask cluster. */
export function describeDaskClient(name: string, env: () => SuiteEnv): void {
  describe(`${name}: dask.distributed test_client.py`, () => {
    it('test_submit', async () => {
      const { client } = env();
      const x = client.submit(tasks.inc, 10, { key: 'submit-x' });
      expect(x.done()).toBe(false);
      expect(x).toBeInstanceOf(Future);
      expect(x.client).toBe(client);
      expect(await x).toBe(11);
      expect(x.done()).toBe(true);
      const y = client.submit(tasks.inc, 20, { key: 'submit-y' });
      const z = client.submit(tasks.add, x, y);
      expect(await z).toBe(11 + 21);
    });

    it('test_map', async () => {
      const { client } = env();
      const L1 = client.map(tasks.inc, [0, 1, 2, 3, 4]);
      expect(L1).toHaveLength(5);
      expect(new Set(L1.map((f) => f.key)).size).toBe(5);
      expect(L1.every((f) => f instanceof Future)).toBe(true);
      expect(await L1[0]).toBe(1);
      const L2 = client.map(tasks.inc, L1);
      expect(await L2[1]).toBe(3);
      const total = client.submit(tasks.sum, L2);
      expect(await total).toBe(2 + 3 + 4 + 5 + 6);
      const L3 = client.map(tasks.add, L1, L2);
      expect(await L3[1]).toBe(2 + 3);
      // Dask zips iterables of different lengths to the shortest; bask refuses them
      // (test_map_different_lengths). Keyword arguments (L5, L6) have no JavaScript form.
      const L4 = client.map(tasks.add, [0, 1, 2], [0, 1, 2]);
      expect(await client.gather(L4)).toEqual([0, 2, 4]);
    });

    it('test_map_empty', async () => {
      const { client } = env();
      const L1 = client.map(tasks.inc, [], { pure: false });
      expect(L1).toHaveLength(0);
      expect(await client.gather(L1)).toEqual([]);
    });

    it('test_map_keynames', () => {
      const { client } = env();
      const futures = client.map(tasks.inc, [0, 1, 2, 3], { key: 'INC' });
      expect(futures.every((f) => f.key.startsWith('INC'))).toBe(true);
      expect(new Set(futures.map((f) => f.key)).size).toBe(4);
      const futures2 = client.map(tasks.inc, [5, 6, 7, 8], { key: 'INC' });
      expect(futures2.map((f) => f.key)).not.toEqual(futures.map((f) => f.key));
      const keys = ['inc-1', 'inc-2', 'inc-3', 'inc-4'];
      expect(client.map(tasks.inc, [0, 1, 2, 3], { key: keys }).map((f) => f.key)).toEqual(keys);
    });

    it('test_map_retries', async () => {
      const { client } = env();
      const outcomes = [
        ['error:one', 2, 3],
        [4, 5, 6],
        ['error:seven', 'error:eight', 9],
      ];
      // Dask's `varying` counts calls in the test process; a task may run in another
      // process here, so each call counts in a file of its own.
      const varying = (): string[] => outcomes.map(() => marker());
      let [x, y, z] = client.map(tasks.varying, varying(), outcomes, { retries: 2 });
      expect([await x, await y, await z]).toEqual([2, 4, 9]);
      [x, y, z] = client.map(tasks.varying, varying(), outcomes, { retries: 1, pure: false });
      expect([await x, await y]).toEqual([2, 4]);
      expect((await rejection(z as Future<number>)).message).toMatch(/eight/);
      [x, y, z] = client.map(tasks.varying, varying(), outcomes, { retries: 0, pure: false });
      expect((await rejection(x as Future<number>)).message).toMatch(/one/);
      expect(await y).toBe(4);
      expect((await rejection(z as Future<number>)).message).toMatch(/seven/);
    });

    it('test_compute_no_collection_or_future', async () => {
      const { client } = env();
      expect(client.compute(1)).toBe(1);
      // Dask gives one future for the tuple; bask keeps the shape, a future per Delayed.
      expect(await client.gather(client.compute([1, delayed(tasks.inc)(1)]))).toEqual([1, 2]);
    });

    it('test_compute_retries', async () => {
      const { client } = env();
      const args = ['error:one', 'error:two', 3];
      const varying = (): unknown => delayed(tasks.varying)(marker(), args);
      expect((await rejection(client.compute(varying()) as Future)).message).toMatch(/one/);
      const once = client.compute(varying(), { retries: 1 }) as Future;
      expect((await rejection(once)).message).toMatch(/two/);
      expect(await (client.compute(varying(), { retries: 2 }) as Future)).toBe(3);
    });

    it('test_persist_retries', async () => {
      const { client } = env();
      const args = ['error:one', 'error:two', 3];
      let x = client.persist(delayed(tasks.varying)(marker(), args), { retries: 1 });
      expect((await rejection(client.compute(x))).message).toMatch(/two/);
      x = client.persist(delayed(tasks.varying)(marker(), args), { retries: 2 });
      expect(await client.compute(x)).toBe(3);
    });

    it('test_Future_exception', async () => {
      const { client } = env();
      const error = await client.submit(tasks.div, 1, 0).exception();
      expect(isBaskError(error, 'ERR_TASK_FAILED')).toBe(true);
      // The remote error keeps its name, message and stack (not its class).
      expect(((error as Error).cause as Error).name).toBe('RangeError');
      expect(await client.submit(tasks.div, 1, 1).exception()).toBeUndefined();
    });

    it('test_Future_release', async () => {
      const { client } = env();
      // Dask checks `client.futures`; here the scheduler forgets the released keys.
      const x = client.submit(tasks.div, 1, 1, { pure: false });
      await x;
      x.release();
      const y = client.submit(tasks.slowinc, 1, 500, { pure: false });
      y.release();
      const z = client.submit(tasks.div, 1, 0, { pure: false });
      await z.exception();
      z.release();
      await forgotten(client, [x.key, y.key, z.key]);
    });

    it('test_map_naming', () => {
      const { client } = env();
      const L1 = client.map(tasks.inc, [0, 1, 2, 3, 4]);
      const L2 = client.map(tasks.inc, [0, 1, 2, 3, 4]);
      expect(L1.map((f) => f.key)).toEqual(L2.map((f) => f.key));
      const L3 = client.map(tasks.inc, [1, 1, 1, 1]);
      expect(new Set(L3.map((f) => f.keyState)).size).toBe(1);
      const L4 = client.map(tasks.inc, [1, 1, 1, 1], { pure: false });
      expect(new Set(L4.map((f) => f.keyState)).size).toBe(4);
    });

    it('test_submit_naming', () => {
      const { client } = env();
      const a = client.submit(tasks.inc, 1);
      const b = client.submit(tasks.inc, 1);
      expect(a.keyState).toBe(b.keyState);
      expect(client.submit(tasks.inc, 1, { pure: false }).key).not.toBe(a.key);
    });

    it('test_exceptions', async () => {
      const { client } = env();
      expect(await client.submit(tasks.div, 1, 2)).toBe(0.5);
      expect(isBaskError(await rejection(client.submit(tasks.div, 1, 0)), 'ERR_TASK_FAILED')).toBe(
        true,
      );
      expect(await client.submit(tasks.div, 10, 2)).toBe(5); // continues to operate
    });

    it('test_gather', async () => {
      const { client } = env();
      const x = client.submit(tasks.inc, 10);
      const y = client.submit(tasks.inc, x);
      expect(await client.gather(x)).toBe(11);
      expect(await client.gather([x])).toEqual([11]);
      expect(await client.gather({ x, y: [y] })).toEqual({ x: 11, y: [12] });
    });

    it('test_gather_mismatched_client', async () => {
      const { client } = env();
      const other = await env().connectOther();
      try {
        const x = client.submit(tasks.inc, 10);
        const y = other.submit(tasks.inc, 5);
        // Dask refuses futures of another client (ValueError); bask gathers each future
        // through the client it belongs to.
        expect(await client.gather([x, y])).toEqual([11, 6]);
      } finally {
        await other.close();
      }
    });

    it('test_gather_strict', async () => {
      const { client } = env();
      const x = client.submit(tasks.div, 2, 1);
      const y = client.submit(tasks.div, 1, 0);
      expect(isBaskError(await rejection(client.gather([x, y])), 'ERR_TASK_FAILED')).toBe(true);
      expect(await client.gather([x, y], { errors: 'skip' })).toEqual([2]);
    });

    it('test_gather_skip', async () => {
      const { client } = env();
      const x = client.submit(tasks.div, 1, 0, { priority: 10 });
      const y = client.submit(tasks.slowinc, 1, 200);
      expect(await client.gather([x, y], { errors: 'skip' })).toEqual([2]);
      // Objects leave the failed entry out; a lone failed future gathers to undefined.
      expect(await client.gather({ x, y }, { errors: 'skip' })).toEqual({ y: 2 });
      expect(await client.gather(x, { errors: 'skip' })).toBeUndefined();
      await expect(client.gather([x], { errors: 'ignore' as 'skip' })).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
    });

    it('test_get', async () => {
      const { client } = env();
      // Dask's `client.get(dsk, keys, sync=False)`: futures in the keys' shape.
      // Keys are the cluster's names for data: each test uses its own.
      const future = client.get({ 'get-x': task(tasks.inc, 1) }, 'get-x');
      expect(future).toBeInstanceOf(Future);
      expect(await future).toBe(2);
      const futures = client.get({ 'get-x': task(tasks.inc, 1) }, ['get-x']);
      expect(futures[0]).toBeInstanceOf(Future);
      expect(await client.gather(futures)).toEqual([2]);
      expect(await client.gather(client.get({}, []))).toEqual([]);
      // Tuple keys are Dask's; bask keys are strings, so a nested key spec stands in.
      const graph = { 'get-x-1': task(tasks.inc, 1), 'get-x-2': task(tasks.inc, ref('get-x-1')) };
      expect(await client.gather(client.get(graph, [['get-x-1'], 'get-x-2']))).toEqual([[2], 3]);
    });

    it('test_get_sync', async () => {
      const { client } = env();
      expect(
        await client.get({ 'get-sync-x': task(tasks.inc, 1) }, 'get-sync-x', { sync: true }),
      ).toBe(2);
    });

    it('test_gather_errors', async () => {
      const { client } = env();
      const f = client.submit(tasks.throwsTypeError, 1, 2);
      const g = client.submit(tasks.throwsRangeError, 1, 2);
      // The remote error keeps its name (not its class).
      expect(((await rejection(client.gather(f))).cause as Error).name).toBe('TypeError');
      expect(((await rejection(client.gather(g))).cause as Error).name).toBe('RangeError');
    });

    it('test_wait', async () => {
      const { client } = env();
      const x = client.submit(tasks.inc, 1);
      const y = client.submit(tasks.inc, 1);
      const z = client.submit(tasks.inc, 2);
      const { done, notDone } = await wait([x, y, z]);
      expect(new Set(done)).toEqual(new Set([x, y, z]));
      expect(notDone).toEqual([]);
      expect([x.status, y.status]).toEqual(['finished', 'finished']);
      // One future alone (Dask's `wait(future)`).
      expect((await wait(z)).done).toEqual([z]);
    });

    it('test_wait_first_completed', async () => {
      const { client } = env();
      const event = marker();
      try {
        const x = client.submit(tasks.blockUntil, event, 1);
        const y = client.submit(tasks.blockUntil, event, 1);
        const z = client.submit(tasks.inc, 2);
        const { done, notDone } = await wait([x, y, z], { returnWhen: 'FIRST_COMPLETED' });
        expect(done).toEqual([z]);
        expect(notDone).toEqual([x, y]);
        expect([z.status, x.status, y.status]).toEqual(['finished', 'pending', 'pending']);
      } finally {
        release(event);
      }
    });

    it('test_wait_timeout', async () => {
      const { client } = env();
      const event = marker();
      try {
        const future = client.submit(tasks.blockUntil, event, 1);
        // Dask accepts '0.01 s'; bask's timeouts are milliseconds.
        const error = await rejection(wait(future, { timeout: 10 }));
        expect(isBaskError(error, 'ERR_TIMEOUT')).toBe(true);
      } finally {
        release(event);
      }
    });

    it('test_garbage_collection', async () => {
      const { client } = env();
      const x = client.submit(tasks.inc, 101);
      const y = client.submit(tasks.inc, 101);
      // Dask counts `client.refcount`; both futures share one key state here.
      expect(x.keyState.refs).toBe(2);
      x.release();
      expect(y.keyState.refs).toBe(1);
      const z = client.submit(tasks.inc, y);
      y.release();
      expect(await z).toBe(103);
    });

    it('test_garbage_collection_with_scatter', async () => {
      const { client } = env();
      const [future] = client.scatter([Math.random()]);
      await wait(future as Future);
      expect((future as Future).status).toBe('finished');
      const key = (future as Future).key;
      expect([...(await client.whoHas([key])).keys()]).toEqual([key]);
      (future as Future).release();
      await forgotten(client, [key]);
    });

    it('test_recompute_released_key', async () => {
      const { client } = env();
      let x = client.submit(tasks.inc, 100_000);
      const result1 = await x;
      x.release();
      await forgotten(client, [x.key]);
      x = client.submit(tasks.inc, 100_000);
      expect(await x).toBe(result1);
    });

    it('test_errors_dont_block', async () => {
      const { client } = env();
      const L = [
        client.submit(tasks.inc, 1),
        client.submit(tasks.throws, 1),
        client.submit(tasks.inc, 2),
        client.submit(tasks.throws, 2),
      ];
      expect(await client.gather([L[0], L[2]])).toEqual([2, 3]);
    });

    it('test_submit_quotes', async () => {
      const { client } = env();
      expect(await client.submit(tasks.assertList, [1, 2, 3])).toBe(true);
      expect(await client.submit(tasks.assertList, [1, 2, 3], [4, 5, 6])).toBe(true);
      const x = client.submit(tasks.inc, 1);
      const y = client.submit(tasks.inc, 2);
      expect(await client.submit(tasks.assertList, [x, y])).toBe(true);
    });

    it('test_map_quotes', async () => {
      const { client } = env();
      expect(await client.gather(client.map(tasks.assertList, [[1, 2, 3], [4]]))).toEqual([
        true,
        true,
      ]);
      const L = client.map(tasks.assertList, [[1, 2, 3], [4]], [[], []]);
      expect(await client.gather(L)).toEqual([true, true]);
    });

    it('test_two_consecutive_clients_share_results', async () => {
      const { client } = env();
      const x = client.submit(tasks.randomInt);
      const xx = await x;
      const other = await env().connectOther();
      try {
        expect(await other.submit(tasks.randomInt)).toBe(xx);
      } finally {
        await other.close();
      }
    });

    it('test_submit_then_get_with_Future', async () => {
      const { client } = env();
      const x = client.submit(tasks.slowinc, 1);
      // A Future inside a raw graph's task is a dependency on its key.
      expect(await client.get({ y: task(tasks.inc, x) }, 'y')).toBe(3);
    });

    it('test_aliases', async () => {
      const { client } = env();
      const x = client.submit(tasks.inc, 1);
      // A node that is a Future is an alias of its key.
      expect(await client.get({ 'aliases-y': x }, 'aliases-y')).toBe(2);
      const graph = { 'aliases-y2': { value: x, list: [x] } };
      expect(await client.get(graph, 'aliases-y2', { sync: true })).toEqual({
        value: 2,
        list: [2],
      });
    });

    it('test_aliases_2', async () => {
      const { client } = env();
      // Dask's string aliases are `alias(key)` nodes in bask (strings are data).
      const cases: [Record<string, unknown>, string[]][] = [
        [
          {
            a2x: task(tasks.inc, 1),
            a2y: alias('a2x'),
            a2z: alias('a2x'),
            a2w: task(tasks.add, ref('a2y'), ref('a2z')),
          },
          ['a2y', 'a2w'],
        ],
        [{ a2x2: alias('a2y2'), a2y2: 1 }, ['a2x2']],
        [
          { a2x3: 1, a2y3: alias('a2x3'), a2z3: alias('a2y3'), a2w3: task(tasks.inc, ref('a2z3')) },
          ['a2w3'],
        ],
      ];
      for (const [graph, keys] of cases) {
        const expected = await localGet(graph, keys, { scheduler: 'sync' });
        expect(await client.gather(client.get(graph, keys))).toEqual(expected);
      }
    });

    it('test_scatter', async () => {
      const { client } = env();
      // Dask uses a dict's keys as the keys; bask keys data by content and returns the
      // futures under the same names.
      const d = client.scatter({ y: 20 });
      expect(d.y).toBeInstanceOf(Future);
      expect(await client.gather([d.y])).toEqual([20]);
      const [x] = client.scatter([10]);
      expect(x).toBeInstanceOf(Future);
      expect(await client.gather([x])).toEqual([10]);
      const z = client.submit(tasks.add, x as Future<number>, d.y);
      expect(await z).toBe(30);
      expect(await client.gather([z, x])).toEqual([30, 10]);
    });

    it('test_scatter_types', async () => {
      const { client } = env();
      const d = client.scatter({ x: 1 });
      expect(Object.keys(d)).toEqual(['x']);
      const L = client.scatter([1]);
      expect(Array.isArray(L)).toBe(true);
      expect(L).toHaveLength(1);
      // Sets, Maps and class instances are one value each (Dask splits sets and tuples).
      const s = client.scatter(new Set([1]));
      expect(s).toBeInstanceOf(Future);
      expect(await s).toEqual(new Set([1]));
    });

    it('test_scatter_non_list', async () => {
      const { client } = env();
      const x = client.scatter(1);
      expect(x).toBeInstanceOf(Future);
      expect(await x).toBe(1);
    });

    it('test_scatter_typename', () => {
      const { client } = env();
      // Dask's type names are Python's ('int'); bask's are JavaScript's.
      expect(client.scatter(123).key.startsWith('number-')).toBe(true);
      expect(client.scatter(new Float64Array(2)).key.startsWith('float64array-')).toBe(true);
    });

    it('test_scatter_hash', () => {
      const { client } = env();
      const x = client.scatter(123);
      const y = client.scatter(123);
      expect(x.key).toBe(y.key);
      const z = client.scatter(123, { hash: false });
      expect(z.key).not.toBe(y.key);
    });

    it('test_scatter_hash_2', async () => {
      const { client } = env();
      const [a] = client.scatter([1]);
      const [b] = client.scatter([1]);
      expect((a as Future).key).toBe((b as Future).key);
      expect(await client.gather([a, b])).toEqual([1, 1]);
    });

    it('test_get_releases_data', async () => {
      const { client } = env();
      const graph = { 'released-x': task(tasks.inc, 1) };
      expect(await client.get(graph, ['released-x'], { sync: true })).toEqual([2]);
      await forgotten(client, ['released-x']);
    });

    it('test_exception_on_exception', async () => {
      const { client } = env();
      const x = client.submit((): number => {
        throw new RangeError('division by zero');
      });
      const y = client.submit(tasks.inc, x);
      expect(((await rejection(y)).cause as Error).name).toBe('RangeError');
      const z = client.submit(tasks.inc, y);
      expect(((await rejection(z)).cause as Error).name).toBe('RangeError');
    });

    it('test_get_with_error', async () => {
      const { client } = env();
      const graph = { 'err-x': task(tasks.div, 1, 0), 'err-y': task(tasks.inc, ref('err-x')) };
      expect(isBaskError(await rejection(client.get(graph, 'err-y')), 'ERR_TASK_FAILED')).toBe(
        true,
      );
    });

    it('test_get_with_error_sync', async () => {
      const { client } = env();
      const graph = {
        'err-sync-x': task(tasks.div, 1, 0),
        'err-sync-y': task(tasks.inc, ref('err-sync-x')),
      };
      const error = await rejection(client.get(graph, 'err-sync-y', { sync: true }));
      expect((error.cause as Error).name).toBe('RangeError');
    });

    it('test_async_compute', async () => {
      const { client } = env();
      const x = delayed(1);
      const y = delayed(tasks.inc)(x);
      const z = delayed(tasks.dec)(x);
      const [yy, zz, aa] = client.compute([y, z, 3]);
      expect(yy).toBeInstanceOf(Future);
      expect(zz).toBeInstanceOf(Future);
      expect(aa).toBe(3);
      expect(await client.gather([yy, zz])).toEqual([2, 0]);
      expect(client.compute(y)).toBeInstanceOf(Future);
      expect(Array.isArray(client.compute([y]))).toBe(true);
    });

    it('test_async_compute_with_scatter', async () => {
      const { client } = env();
      const d = client.scatter({ x: 1, y: 2 });
      // Futures in delayed calls are dependencies on their keys.
      const z = delayed(tasks.add)(delayed(tasks.inc)(d.x), delayed(tasks.inc)(d.y));
      expect(await client.gather([client.compute(z)])).toEqual([2 + 3]);
    });

    it('test_sync_compute', async () => {
      const { client } = env();
      const x = delayed(1);
      const y = delayed(tasks.inc)(x);
      const z = delayed(tasks.dec)(x);
      expect(await client.compute([y, z], { sync: true })).toEqual([2, 0]);
    });

    it('test_remote_scatter_gather', async () => {
      const { client } = env();
      const [x, y, z] = client.scatter([1, 2, 3]);
      expect(await client.gather([x, y, z])).toEqual([1, 2, 3]);
    });

    it('test_remote_submit_on_Future', async () => {
      const { client } = env();
      // A self-contained arrow function ships by its source.
      const x = client.submit((v: number) => v + 1, 1);
      const y = client.submit((v: number) => v + 1, x);
      expect(await y).toBe(3);
    });

    it('test_client_with_scheduler', async () => {
      const { client } = env();
      const x = client.submit(tasks.inc, 1);
      const y = client.submit(tasks.inc, 2);
      const z = client.submit(tasks.add, x, y);
      expect(await x).toBe(2);
      expect(await z).toBe(2 + 3);
      const [A, B] = client.scatter([1, 2, 3]);
      expect(await client.gather([A, B, x])).toEqual([1, 2, 2]);
      const graph = {
        'sched-x': task(tasks.inc, 1),
        'sched-y': task(tasks.add, ref('sched-x'), 10),
      };
      expect(await client.get(graph, 'sched-y')).toBe(12);
    });

    it('test_cancel', async () => {
      const { client } = env();
      const event = marker();
      try {
        const x = client.submit(tasks.blockUntil, event, 1);
        const y = client.submit(tasks.slowinc, x);
        client.cancel([x]);
        expect(x.cancelled()).toBe(true);
        expect(String(x)).toContain('cancel');
        // Its dependent is cancelled too.
        expect(isBaskError(await rejection(y), 'ERR_CANCELLED')).toBe(true);
        expect(y.cancelled()).toBe(true);
        await forgotten(client, [x.key, y.key]);
      } finally {
        release(event);
      }
    });

    it('test_cancel_tuple_key', async () => {
      const { client } = env();
      // Tuple keys are Dask's; what the test checks is cancelling a finished future.
      const x = client.submit(tasks.inc, 1, { key: 'x-0-1' });
      await x;
      client.cancel(x);
      expect(x.status).toBe('cancelled');
      expect(isBaskError(await rejection(x), 'ERR_CANCELLED')).toBe(true);
    });

    it('test_cancel_multi_client', async () => {
      const { client: c } = env();
      const f = await env().connectOther();
      try {
        const x = c.submit(tasks.slowinc, 7001);
        const y = f.submit(tasks.slowinc, 7001);
        expect(x.key).toBe(y.key);
        await y;
        await x;
        c.cancel([x]);
        expect(x.cancelled()).toBe(true);
        expect(y.cancelled()).toBe(false);
        expect(await y).toBe(7002);
        expect(isBaskError(await rejection(x), 'ERR_CANCELLED')).toBe(true);
      } finally {
        await f.close();
      }
    });

    it('test_cancel_before_known_to_scheduler', async () => {
      const { client } = env();
      const f = client.submit(tasks.inc, 7101);
      const f2 = client.submit(tasks.inc, f);
      client.cancel([f]);
      expect(f.cancelled()).toBe(true);
      expect(isBaskError(await rejection(f2), 'ERR_CANCELLED')).toBe(true);
    });

    it('test_cancel_collection', () => {
      const { client } = env();
      const L = client.map(tasks.double, [[1], [2], [3]]);
      // Dask cancels a bag of futures; bask takes arrays and objects holding futures.
      client.cancel({ bag: L });
      client.cancel([L]);
      expect(L.every((f) => f.cancelled())).toBe(true);
    });

    it('test_cancel_sync', async () => {
      const { client } = env();
      const event = marker();
      try {
        const x = client.submit(tasks.blockUntil, event, 1, { key: 'cancel-x' });
        const y = client.submit(tasks.slowinc, x, 50, { key: 'cancel-y' });
        const z = client.submit(tasks.slowinc, y, 50, { key: 'cancel-z' });
        client.cancel([y]);
        expect(isBaskError(await rejection(z), 'ERR_CANCELLED')).toBe(true);
        release(event);
        expect(await x).toBe(1);
        z.cancel();
        expect(z.cancelled()).toBe(true);
      } finally {
        release(event);
      }
    });

    it('test_map_different_lengths', () => {
      const { client } = env();
      // Dask zips to the shortest iterable; bask refuses uneven iterables.
      const error = thrown(() => client.map(tasks.add, [1, 2], [1, 2, 3]));
      expect(isBaskError(error, 'ERR_INVALID_ARGUMENT')).toBe(true);
    });

    it('test_async_persist', async () => {
      const { client } = env();
      const x = delayed(1);
      const y = delayed(tasks.inc)(x);
      const z = delayed(tasks.dec)(x);
      const w = delayed(tasks.add)(y, z);
      const [yy, ww] = client.persist([y, w] as const);
      expect(isDelayed(yy)).toBe(true);
      expect(isDelayed(ww)).toBe(true);
      expect(yy.key).toBe(y.key);
      expect(ww.key).toBe(w.key);
      const [yyf, wwf] = client.compute([yy, ww]);
      expect(await client.gather([yyf, wwf])).toEqual([2, 2 + 0]);
      expect(isDelayed(client.persist(y))).toBe(true);
      expect(Array.isArray(client.persist([y]))).toBe(true);
      // A persisted value feeds later computations from where it is.
      expect(await delayed(tasks.inc)(ww).compute({ scheduler: client })).toBe(3);
    });

    it('test_wait_on_collections', async () => {
      const { client } = env();
      const L = client.map(tasks.double, [[1], [2], [3]]);
      // Dask waits on a bag; bask on arrays and objects of futures, and persisted values.
      const { done } = await wait({ bag: L });
      expect(done).toHaveLength(3);
      const persisted = client.persist([delayed(tasks.inc)(41)]);
      const waited = await wait(persisted);
      expect(waited.done).toHaveLength(1);
    });

    it('test_futures_of_cancelled_raises', async () => {
      const { client } = env();
      const x = client.submit(tasks.inc, 7201);
      client.cancel([x]);
      expect(isBaskError(await rejection(x), 'ERR_CANCELLED')).toBe(true);
      const got = client.get({ 'x-of': task(tasks.inc, x), y: task(tasks.inc, 2) }, ['x-of', 'y']);
      expect(isBaskError(await rejection(client.gather(got)), 'ERR_CANCELLED')).toBe(true);
      expect(isBaskError(await rejection(client.submit(tasks.inc, x)), 'ERR_CANCELLED')).toBe(true);
      const mapped = client.map(tasks.add, [1], [x]);
      expect(isBaskError(await rejection(client.gather(mapped)), 'ERR_CANCELLED')).toBe(true);
    });

    it('test_submit_on_cancelled_future', async () => {
      const { client } = env();
      const x = client.submit(tasks.inc, 7301);
      await x;
      client.cancel(x);
      expect(isBaskError(await rejection(client.submit(tasks.inc, x)), 'ERR_CANCELLED')).toBe(true);
    });

    it('test_get_returns_early', async () => {
      const { client } = env();
      const event = marker();
      try {
        const graph = {
          'early-x': task(tasks.throws, 1),
          'early-y': task(tasks.blockUntil, event, 1),
        };
        const error = await rejection(client.get(graph, ['early-x', 'early-y'], { sync: true }));
        expect((error.cause as Error).message).toBe('hello!');
        release(event);
        expect(await client.submit(tasks.inc, 1)).toBe(2);
      } finally {
        release(event);
      }
    });

    it('test_compute_nested_containers', async () => {
      const { client } = env();
      const x = delayed(tasks.inc)(1);
      // Dask returns one future for the container; bask returns the container of futures.
      const future = client.compute({ x: [x], y: 123 });
      expect(await client.gather(future)).toEqual({ x: [2], y: 123 });
    });

    it('test_add_done_callback', async () => {
      const { client } = env();
      const seen: string[] = [];
      const g = (future: Future): void => void seen.push(`${future.key}:${future.status}`);
      const f = (future: Future): void => future.addDoneCallback(g);
      const u = client.submit(tasks.inc, 1, { key: 'cb-u' });
      const v = client.submit(tasks.throws, 'hello', { key: 'cb-v' });
      const w = client.submit(tasks.slowinc, 2, 300, { key: 'cb-w' });
      const x = client.submit(tasks.inc, 3, { key: 'cb-x' });
      u.addDoneCallback(f);
      v.addDoneCallback(f);
      w.addDoneCallback(f);
      await wait([u, v, w, x]);
      x.addDoneCallback(f);
      // Submitting finished keys again re-fires nothing.
      await client.submit(tasks.inc, 1, { key: 'cb-u' });
      await wait(client.submit(tasks.inc, 3, { key: 'cb-x' }));
      expect(seen.sort()).toEqual([
        'cb-u:finished',
        'cb-v:error',
        'cb-w:finished',
        'cb-x:finished',
      ]);
    });

    it('test_fire_and_forget_err', async () => {
      const { client } = env();
      const future = client.submit(tasks.div, 1, 0, { pure: false });
      client.fireAndForget(future);
      future.release();
      // The erred task clears out.
      await forgotten(client, [future.key]);
    });

    it('test_close', async () => {
      const { client } = env();
      const c = await env().connectOther();
      const future = c.submit(tasks.inc, 7401);
      await wait(future);
      await c.close();
      await c.close(); // test_close_idempotent
      await forgotten(client, [future.key]);
    });

    it('test_unicode_keys', async () => {
      const { client } = env();
      const key = 'inc-123\u03bc';
      const future = client.submit(tasks.inc, 1, { key });
      expect(await future).toBe(2);
      expect(future.key).toBe(key);
      expect(await client.submit(tasks.inc, future)).toBe(3);
      const future3 = client.scatter({ 'data-123': 123 });
      expect(await future3['data-123']).toBe(123);
    });

    it('test_mixing_clients_same_scheduler', async () => {
      const { client: c1 } = env();
      const c2 = await env().connectOther();
      try {
        const future = c1.submit(tasks.inc, 7501);
        // Dask publishes the future first so that c2's submission cannot overtake c1's.
        await future;
        expect(await c2.submit(tasks.inc, future)).toBe(7503);
        expect(await c2.compute(delayed(tasks.inc)(future))).toBe(7503);
      } finally {
        await c2.close();
      }
    });

    it('test_multiple_scatter', async () => {
      const { client } = env();
      const futures = Array.from({ length: 5 }, () => client.scatter(1));
      expect(new Set(futures.map((f) => f.key)).size).toBe(1);
      expect(await futures[0]).toBe(1);
      expect(await futures[0]).toBe(1);
    });

    it('test_retry', async () => {
      const { client } = env();
      // Dask's config switch is a file here.
      const config = marker();
      const future = client.submit(tasks.plus100Once, config, 1);
      expect((await rejection(future)).message).toMatch(/no .* yet/);
      release(config);
      future.retry();
      expect(future.status).toBe('pending');
      expect(await future).toBe(101);
    });

    it('test_retry_dependencies', async () => {
      const { client } = env();
      const config = marker();
      const x = client.submit(tasks.plus100Once, config, 0);
      const y = client.submit(tasks.inc, x);
      await rejection(y);
      release(config);
      y.retry();
      expect(await y).toBe(101);
      expect(x.status).toBe('finished');
      y.retry();
      x.retry();
      expect(await y).toBe(101);
    });

    it('test_released_dependencies', async () => {
      const { client } = env();
      const config = marker();
      let x: Future<number> | undefined = client.submit(tasks.inc, 1, { key: 'released-dep-x' });
      const y = client.submit(tasks.plus100Once, config, x, { key: 'released-dep-y' });
      x.release();
      x = undefined;
      await rejection(y);
      release(config);
      y.retry();
      expect(await y).toBe(102);
    });

    it('test_await_future', async () => {
      const { client } = env();
      expect(await client.submit(tasks.inc, 1)).toBe(2);
      expect(isBaskError(await rejection(client.submit(tasks.div, 1, 0)), 'ERR_TASK_FAILED')).toBe(
        true,
      );
    });

    it('test_async_with', async () => {
      const { client } = env();
      // `await using` is JavaScript's `async with`.
      let escaped: Client | undefined;
      {
        await using c = await env().connectOther();
        escaped = c;
        expect(await c.submit((v: number) => v + 1, 10)).toBe(11);
      }
      expect(() => escaped?.submit(tasks.inc, 1)).toThrowError(
        expect.objectContaining({ code: 'ERR_CLIENT_CLOSED' }) as Error,
      );
      expect(await client.submit(tasks.inc, 1)).toBe(2);
    });

    it('test_resolves_future_in_dict', async () => {
      const { client } = env();
      const inner = client.submit(tasks.identity, 1);
      // A plain object as the last argument needs options after it (see submit's rule).
      const outer = client.submit(tasks.identity, { x: inner, y: 2 }, {});
      expect(await outer).toEqual({ x: 1, y: 2 });
    });

    it('test_map_accepts_nested_futures', async () => {
      const { client } = env();
      const f1 = client.submit(() => 10);
      const f2 = client.submit(() => 20);
      expect(await client.map(tasks.reducer, [[f1, f2]])[0]).toBe(30);
      const offset = client.submit(() => 1);
      expect(await client.map(tasks.reducer, [[f1, f2]], [offset])[0]).toBe(31);
    });

    it('test_release_persisted_collection', async () => {
      const { client } = env();
      const arr = client.persist(delayed(tasks.randomInt, { pure: false })());
      // Dask's futures_of(collection): wait() hands back the futures behind persisted values.
      const { done } = await wait(arr);
      for (const f of done) f.release();
      await forgotten(
        client,
        done.map((f) => f.key),
      );
      // Dask raises CancelledError; the key is gone, so bask's scheduler reports it missing.
      expect(isBaskError(await rejection(client.compute(arr)), 'ERR_MISSING_KEY')).toBe(true);
    });

    it('test_submit_persisted_collection_as_argument', async () => {
      const { client } = env();
      const x = client.persist(delayed(tasks.sum)([1, 2, 3, 4]));
      await wait(x);
      expect(await client.submit(tasks.inc, x)).toBe(11);
    });

    it('test_as_completed_list', async () => {
      const { client } = env();
      const { asCompleted } = await import('../../src/index.node.js');
      const seq = client.map(tasks.inc, [0, 1, 2, 3, 4]);
      const seq2: FutureView<number>[] = [];
      for await (const f of asCompleted(seq)) seq2.push(f);
      expect(new Set(await client.gather(seq2))).toEqual(new Set([1, 2, 3, 4, 5]));
    });

    it('test_as_completed_results', async () => {
      const { client } = env();
      const { asCompleted } = await import('../../src/index.node.js');
      const seq = client.map(tasks.inc, [0, 1, 2, 3, 4]);
      const seq2: [Future<number>, unknown][] = [];
      for await (const pair of asCompleted(seq, { withResults: true })) seq2.push(pair);
      expect(new Set(seq2.map((p) => p[1]))).toEqual(new Set([1, 2, 3, 4, 5]));
      expect(new Set(seq2.map((p) => p[0]))).toEqual(new Set(seq));
    });

    it('test_as_completed_batches', async () => {
      const { client } = env();
      const { asCompleted } = await import('../../src/index.node.js');
      for (const withResults of [false, true]) {
        const futures = client.map(tasks.slowinc, [...Array(50).keys()], Array(50).fill(10));
        const out: unknown[] = [];
        const ac = withResults ? asCompleted(futures, { withResults: true }) : asCompleted(futures);
        for await (const batch of ac.batches()) {
          expect(Array.isArray(batch)).toBe(true);
          out.push(...batch);
        }
        expect(out).toHaveLength(50);
        if (withResults)
          expect(new Set(out.map((p) => (p as [Future, number])[1]))).toEqual(
            new Set(Array.from({ length: 50 }, (_, i) => i + 1)),
          );
        else expect(new Set(out)).toEqual(new Set(futures));
      }
    });

    it('test_as_completed_next_batch', async () => {
      const { client } = env();
      const { asCompleted } = await import('../../src/index.node.js');
      const futures = client.map(tasks.slowinc, [0, 1], [100, 100], { pure: false });
      const ac = asCompleted(futures);
      expect(ac.isEmpty()).toBe(false);
      expect(await ac.nextBatch(false)).toEqual([]);
      const seen = await ac.nextBatch(true);
      const given = new Set<FutureView<number>>(futures);
      expect(seen.every((f) => given.has(f))).toBe(true);
      while (!ac.isEmpty())
        expect((await ac.nextBatch(true)).every((f) => given.has(f))).toBe(true);
      expect(ac.isEmpty()).toBe(true);
      expect(ac.hasReady()).toBe(false);
    });
  });
}

/** Regression tests of issue 13's bugs that no Dask test covers as such. */
export function describeRegressions(name: string, env: () => SuiteEnv): void {
  describe(`${name}: futures as dask.distributed users expect them`, () => {
    it('takes a trailing plain object of option names as options, and refuses unknown ones', async () => {
      const { client } = env();
      // A misspelt option beside real ones was taken as an argument and silently dropped.
      const error = thrown(() =>
        client.submit(tasks.inc, 1, {
          workers: ['alice'],
          allowOtherWorker: true,
        } as unknown as { workers: string[] }),
      );
      expect(isBaskError(error, 'ERR_INVALID_ARGUMENT')).toBe(true);
      expect((error as Error).message).toMatch(/unknown option 'allowOtherWorker'/);
      expect((error as Error).message).toMatch(/submit\(fn, data, \{\}\)/);
      // No option names at all: an argument. `{}` after it: options.
      expect(await client.submit(tasks.identity, { a: 1 })).toEqual({ a: 1 });
      expect(await client.submit(tasks.identity, { key: 'k', value: 1 }, {})).toEqual({
        key: 'k',
        value: 1,
      });
      expect(
        isBaskError(
          thrown(() => client.submit(tasks.inc, 1, { retries: 1.5 })),
          'ERR_INVALID_ARGUMENT',
        ),
      ).toBe(true);
    });

    it('makes futures anywhere in a raw graph dependencies on their keys', async () => {
      const { client } = env();
      const fut = client.submit(tasks.inc, 8100);
      // Was "[object Object]1": the Future shipped as a plain object.
      expect(await client.get({ 'raw-y': task(tasks.add, fut, 1) }, 'raw-y')).toBe(8102);
      expect(await client.get({ 'raw-y2': { nested: [fut] } }, 'raw-y2', { sync: true })).toEqual({
        nested: [8101],
      });
      // The same through the top-level get with the client as scheduler.
      const graph = { 'raw-z': task(tasks.inc, fut) };
      expect(await localGet(graph, 'raw-z', { scheduler: client })).toBe(8102);
    });

    it('makes a future in a delayed call a dependency', async () => {
      const { client } = env();
      const futures = client.map(tasks.inc, [8200, 8201, 8202, 8203]);
      const total = delayed(tasks.sum)(futures);
      expect(await client.compute(total)).toBe(8201 + 8202 + 8203 + 8204);
      expect(
        await delayed(tasks.inc)(futures[3] as Future<number>).compute({ scheduler: client }),
      ).toBe(8205);
    });

    it('fires each done-callback once, also one added from another', async () => {
      const { client } = env();
      const calls: string[] = [];
      const x = client.submit(tasks.inc, 8300);
      x.addDoneCallback(() => {
        calls.push('outer');
        x.addDoneCallback(() => calls.push('inner'));
      });
      await x;
      await client.submit(tasks.inc, 8300); // the finished key submitted again
      await wait(client.submit(tasks.inc, 8300));
      expect(calls).toEqual(['outer', 'inner']);
    });

    it('is thenable: promises of futures give their values', async () => {
      const { client } = env();
      const futures = client.map(tasks.inc, [8400, 8401]);
      expect(await Promise.all(futures)).toEqual([8401, 8402]);
      const resolved = await Promise.resolve(client.submit(tasks.inc, 8402));
      expect(resolved).toBe(8403);
    });

    it('computes a persisted value once, whatever uses it', async () => {
      const { client } = env();
      const runs = marker();
      // A second run of this task would fail: the persisted result must be reused.
      const once = client.persist(delayed(tasks.varying)(runs, [7, 'error:ran twice']));
      await wait(once);
      expect(await client.compute(delayed(tasks.inc)(once))).toBe(8);
      expect(await client.submit(tasks.inc, once)).toBe(8);
      expect(await client.compute(once)).toBe(7);
    });
  });
}
