/**
 * dask.distributed's client tests (test_client.py, test_as_completed.py) against
 * `Client.local`: the same ports as the cluster runs (test/integration/dask-*-suite.ts), on an
 * in-process pool of two workers. A second client shares the pool (two sessions on one
 * engine), as two clients share a scheduler.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Pool } from '../../src/index.node.js';
import { describeAsCompleted } from '../integration/dask-as-completed-suite.js';
import { describeDaskClient, describeRegressions } from '../integration/dask-client-suite.js';
import { tasks } from '../integration/dask-tasks.js';

let pool: Pool;
let client: Client;
const others: Client[] = [];

beforeAll(async () => {
  pool = new Pool({ numWorkers: 2 });
  client = await Client.local({ pool, setAsDefault: false });
});

afterAll(async () => {
  await Promise.all(others.map((c) => c.close()));
  await client.close();
  await pool.close();
});

const env = (): { client: Client; connectOther: () => Promise<Client> } => ({
  client,
  connectOther: async () => {
    const other = await Client.local({ pool, setAsDefault: false });
    others.push(other);
    return other;
  },
});

describeDaskClient('Client.local', env);
describeAsCompleted('Client.local', env);
describeRegressions('Client.local', env);

describe('Client.local: dask.distributed test_client.py (restrictions)', () => {
  it('test_allow_restrictions', async () => {
    // No pool worker has that name: loose restrictions let any worker run it.
    const x = client.submit(tasks.inc, 15, { workers: ['127.0.0.3'], allowOtherWorkers: true });
    expect(await x).toBe(16);
    const L = client.map(tasks.inc, [15, 16], { workers: '127.0.0.3', allowOtherWorkers: true });
    expect(await client.gather(L)).toEqual([16, 17]);
    expect(() => client.submit(tasks.inc, 1, { allowOtherWorkers: true })).toThrowError(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }) as Error,
    );
  });
});
