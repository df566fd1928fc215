/**
 * dask.distributed's client tests against a real cluster: a `bask scheduler` and two
 * `bask worker` processes (alice with two threads, bob with one). The shared ports are in
 * dask-client-suite.ts and dask-as-completed-suite.ts; the ones that need named worker
 * processes (restrictions, directed scatter) or a second scheduler are here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Future, delayed, isBaskError, ref, task, wait } from '../../src/index.node.js';
import { startScheduler, startWorker, waitForWorkers, type Started } from './cluster.js';
import { describeAsCompleted } from './dask-as-completed-suite.js';
import { describeDaskClient, describeRegressions } from './dask-client-suite.js';
import { tasks } from './dask-tasks.js';

let address = '';
let client: Client;
let alice: Started;
let bob: Started;
const others: Client[] = [];

beforeAll(async () => {
  let http: string;
  ({ address, http } = await startScheduler());
  [alice, bob] = await Promise.all([
    startWorker(address, ['--nthreads', '2', '--name', 'alice']),
    startWorker(address, ['--nthreads', '1', '--name', 'bob']),
  ]);
  await waitForWorkers(http, 3);
  client = await Client.connect(address, { setAsDefault: false });
});

afterAll(async () => {
  await Promise.all(others.map((c) => c.close()));
  await client.close();
});

const env = (): { client: Client; connectOther: () => Promise<Client> } => ({
  client,
  connectOther: async () => {
    const other = await Client.connect(address, { setAsDefault: false });
    others.push(other);
    return other;
  },
});

describeDaskClient('cluster', env);
describeAsCompleted('cluster', env);
describeRegressions('cluster', env);

/** The worker processes holding each future's data, as the scheduler knows it. */
async function holders(futures: readonly Future[]): Promise<string[][]> {
  const who = await client.whoHas(futures.map((f) => f.key));
  return futures.map((f) => [...new Set((who.get(f.key) ?? []).map((w) => w.split('/')[0] ?? w))]);
}

describe('cluster: dask.distributed test_client.py (named workers)', () => {
  // Dask restricts by address or host; bask by worker (process or thread) name. A task
  // returning its process id shows where it ran.
  it('test_restrictions_submit', async () => {
    const x = client.submit(tasks.pid, 1, { workers: ['alice'] });
    const y = client.submit(tasks.pid, x, { workers: 'bob' });
    expect(await x).toBe(alice.child.pid);
    expect(await y).toBe(bob.child.pid);
  });

  it('test_restrictions_ip_port', async () => {
    const x = client.submit(tasks.pid, 2, { workers: ['alice/1'], key: 'restricted-x' });
    const y = client.submit(tasks.pid, x, { workers: ['bob/0'], key: 'restricted-y' });
    expect(await wait([x, y])).toMatchObject({ notDone: [] });
    expect([await x, await y]).toEqual([alice.child.pid, bob.child.pid]);
  });

  it('test_restrictions_map', async () => {
    const L = client.map(tasks.pid, [0, 1, 2, 3, 4], { workers: ['alice'] });
    expect(new Set(await client.gather(L))).toEqual(new Set([alice.child.pid]));
  });

  it('test_restrictions_get', async () => {
    const graph = {
      'rg-x': 1,
      'rg-y': task(tasks.pid, ref('rg-x')),
      'rg-z': task(tasks.pid, ref('rg-y')),
    };
    const futures = client.get(graph, ['rg-y', 'rg-z'], { workers: ['bob'] });
    expect(await client.gather(futures)).toEqual([bob.child.pid, bob.child.pid]);
  });

  it('test_allow_restrictions', async () => {
    let x = client.submit(tasks.pid, 10, { workers: ['alice'] });
    expect(await x).toBe(alice.child.pid);
    x = client.submit(tasks.pid, 11, { workers: ['alice'], allowOtherWorkers: true });
    expect(await x).toBe(alice.child.pid);
    const L = client.map(tasks.pid, [12, 13, 14, 15], {
      workers: 'alice',
      allowOtherWorkers: true,
    });
    expect(new Set(await client.gather(L))).toEqual(new Set([alice.child.pid]));
    // Nobody of that name: loose restrictions let any worker run it.
    x = client.submit(tasks.pid, 16, { workers: ['carol'], allowOtherWorkers: true });
    expect([alice.child.pid, bob.child.pid]).toContain(await x);
    const M = client.map(tasks.pid, [17, 18], { workers: ['carol'], allowOtherWorkers: true });
    expect((await client.gather(M)).length).toBe(2);
    // Dask: ValueError without workers, TypeError for a non-boolean.
    const refusals = [
      (): unknown => client.submit(tasks.inc, 1, { allowOtherWorkers: true }),
      (): unknown => client.map(tasks.inc, [1], { allowOtherWorkers: true }),
      (): unknown =>
        client.submit(tasks.inc, 20, {
          workers: ['alice'],
          allowOtherWorkers: 'Hello!' as unknown as boolean,
        }),
    ];
    for (const refuse of refusals)
      expect(refuse).toThrowError(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }) as Error,
      );
  });

  it('test_directed_scatter', async () => {
    const onAlice = client.scatter([101, 102, 103], { workers: ['alice'] });
    await wait(onAlice);
    expect(await holders(onAlice)).toEqual([['alice'], ['alice'], ['alice']]);
    const onBob = client.scatter([104, 105], { workers: 'bob' });
    await wait(onBob);
    expect(await holders(onBob)).toEqual([['bob'], ['bob']]);
  });

  it('test_scatter_dict_workers', async () => {
    const d = client.scatter({ a: 10 }, { workers: ['alice', 'bob'] });
    expect(await d.a).toBe(10);
  });

  it('test_async_compute_with_scatter', async () => {
    // Regression: a Future in a delayed call is a dependency, fetched to wherever the task
    // runs (it hung in 'processing' unless the task landed on the thread holding the data).
    const d = client.scatter({ x: 1, y: 2 }, { workers: ['bob'] });
    const z = delayed(tasks.add)(delayed(tasks.inc)(d.x), delayed(tasks.inc)(d.y));
    expect(await client.compute(z, { workers: ['alice'] })).toBe(5);
    const fut = client.submit(tasks.inc, 40, { workers: ['bob'] });
    expect(await client.compute(delayed(tasks.pid)(fut), { workers: ['alice'] })).toBe(
      alice.child.pid,
    );
  });

  it('test_compute_workers', async () => {
    const L1 = [0, 1, 2, 3].map((i) => delayed(tasks.pid)(i));
    const total = delayed(tasks.identity)(L1);
    const out = client.compute([...L1, total], { workers: ['bob'], allowOtherWorkers: true });
    const pids = await client.gather(out);
    expect(new Set(pids.flat())).toEqual(new Set([bob.child.pid]));
  });

  it('test_persist_workers', async () => {
    const L1 = [4, 5, 6].map((i) => delayed(tasks.pid)(i));
    const out = client.persist(L1, { workers: ['bob'] });
    await wait(out);
    expect(new Set(await client.compute(out, { sync: true }))).toEqual(new Set([bob.child.pid]));
  });
});

describe('cluster: a second scheduler', () => {
  let bare: { address: string };
  let lonely: Client;
  beforeAll(async () => {
    const started = await startScheduler();
    bare = { address: started.address };
    lonely = await Client.connect(bare.address, { setAsDefault: false });
  });
  afterAll(async () => {
    await lonely.close();
  });

  it('test_scatter_raises_if_no_workers', async () => {
    // Dask times out; bask's scheduler refuses at once (its future fails).
    const error = await lonely
      .scatter(1)
      .result()
      .catch((e: unknown) => e);
    expect(isBaskError(error, 'ERR_NO_WORKERS')).toBe(true);
  });

  it('test_mixing_clients_different_scheduler', async () => {
    const future = client.submit(tasks.inc, 1);
    await future;
    const error = await lonely
      .submit(tasks.inc, future)
      .result()
      .catch((e: unknown) => e);
    // Dask raises CancelledError; bask's scheduler does not know the key.
    expect(isBaskError(error, 'ERR_MISSING_KEY')).toBe(true);
    expect(future).toBeInstanceOf(Future);
  });
});
