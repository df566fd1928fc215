/** `Client.local`: the futures API over an in-process pool; `map` over several iterables. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, isBaskError } from '../../src/index.node.js';
import { tasks } from '../conformance/tasks.js';
import { tasks as ptasks } from './tasks.js';
import { thrown } from '../helpers.js';

let client: Client;
beforeAll(async () => {
  client = await Client.local({ numWorkers: 2, setAsDefault: false });
});
afterAll(async () => {
  await client.close();
});

describe('Client.local map', () => {
  it('zips several iterables, one call per position, futures allowed as items', async () => {
    const ten = client.submit(tasks.inc, 9);
    const sums = client.map(tasks.add, [1, 2, 3], new Set([10, 20, ten]));
    expect(await client.gather(sums)).toEqual([11, 22, 13]);
  });

  it('uses a string key as the prefix of every key, and an array as the keys', async () => {
    const prefixed = client.map(tasks.inc, [1, 2], { key: 'step' });
    expect(prefixed.map((f) => f.key.startsWith('step-'))).toEqual([true, true]);
    expect(new Set(prefixed.map((f) => f.key)).size).toBe(2);
    const named = client.map(tasks.inc, [5, 6], { key: ['five', 'six'] });
    expect(named.map((f) => f.key)).toEqual(['five', 'six']);
    expect(await client.gather(named)).toEqual([6, 7]);
  });

  it('refuses iterables of different lengths, non-iterables and unknown options', () => {
    const uneven = thrown(() => client.map(tasks.add, [1, 2, 3], [1, 2]));
    expect(isBaskError(uneven) && uneven.code).toBe('ERR_INVALID_ARGUMENT');
    expect((uneven as Error).message).toMatch(/differ in length \(3 and 2 items\)/);
    const scalar = thrown(() => client.map(tasks.inc, 5 as unknown as number[]));
    expect((scalar as Error).message).toMatch(/argument 2 is not iterable \(got number\)/);
    const option = thrown(() =>
      client.map(tasks.inc, [1], { priorty: 1 } as unknown as { priority: number }),
    );
    expect((option as Error).message).toMatch(/unknown option 'priorty'/);
    const keys = thrown(() => client.map(tasks.inc, [1, 2], { key: ['only-one'] }));
    expect((keys as Error).message).toMatch(/array of 2 keys/);
  });
});

describe('Client.local task options verify and timeout', () => {
  it('runs a task with verify once (one machine: replication would catch nothing)', async () => {
    const runs = client.map(tasks.inc, [1, 2, 3], { verify: 3 });
    expect(await client.gather(runs)).toEqual([2, 3, 4]);
    expect(await client.submit(tasks.inc, 10, { verify: 2 }).result()).toBe(11);
  });

  it('fails a task past its own timeout with ERR_TIMEOUT and keeps working', async () => {
    const hung = client.submit(ptasks.spinForever, { timeout: 300 });
    const error = await hung.result().catch((e: unknown) => e);
    expect(isBaskError(error, 'ERR_TIMEOUT')).toBe(true);
    expect(await client.submit(tasks.inc, 1, { timeout: 10_000 }).result()).toBe(2);
  });

  it('refuses a verify or timeout no scheduler could honour, naming it', () => {
    const verify = thrown(() => client.submit(tasks.inc, 1, { verify: 0 }));
    expect(isBaskError(verify, 'ERR_INVALID_ARGUMENT')).toBe(true);
    expect((verify as Error).message).toMatch(/verify must be an integer from 1 to 16/);
    const timeout = thrown(() => client.map(tasks.inc, [1], { timeout: -5 }));
    expect((timeout as Error).message).toMatch(/timeout must be a positive number/);
  });
});
