/**
 * A scattered value is in its worker's store before any task can ask for it: a task placed on
 * another worker fetches it over their peer port, which the holder may read before its task
 * port (where the value came). The engine hears of the value only once the holder has it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, isBaskError } from '../../src/index.node.js';
import { tasks } from '../conformance/tasks.js';
import { tasks as ptasks } from './tasks.js';
import { viewGraph } from '../../src/graph/analyze.js';
import { prepareGraph } from '../../src/graph/prepare.js';
import { ref, task } from '../../src/graph/spec.js';
import { Pool } from '../../src/local/pool.js';

let client: Client;
beforeAll(async () => {
  client = await Client.local({ numWorkers: 2, setAsDefault: false });
});
afterAll(async () => {
  await client.close();
});

/** Resolves once `flags[0]` is set (the holding task started). */
async function started(flags: Int32Array): Promise<void> {
  while (Atomics.load(flags, 0) === 0) await new Promise((r) => setTimeout(r, 5));
}

describe('Client.local scatter', () => {
  it('gives a task on another worker the value scattered to a busy worker', async () => {
    const [holder, other] = (await client.info()).workers.map((w) => w.id) as [string, string];
    for (let round = 0; round < 5; round++) {
      const flags = new Int32Array(new SharedArrayBuffer(8));
      const busy = client.submit(ptasks.holdUntilReleased, flags, {
        workers: [holder],
        pure: false,
      });
      await started(flags);
      // The value waits in the busy worker's task port; the task is free to run elsewhere.
      const x = client.scatter(round, { workers: [holder], hash: false });
      const y = client.submit(tasks.inc, x, { workers: [other], pure: false });
      // Give the other worker time to ask the busy one for the value, if it was told to.
      await new Promise((r) => setTimeout(r, 30));
      Atomics.store(flags, 1, 1);
      expect(await y.result()).toBe(round + 1);
      expect(await busy.result()).toBe(0);
      expect((await client.whoHas([x.key])).get(x.key)).toContain(holder);
    }
  });

  it('places values only on the workers named, and refuses names the pool does not have', async () => {
    const ids = (await client.info()).workers.map((w) => w.id);
    for (const id of ids) {
      const xs = client.scatter([1, 2, 3], { workers: [id], hash: false });
      await client.gather(xs);
      const holders = await client.whoHas(xs.map((x) => x.key));
      expect(xs.map((x) => holders.get(x.key))).toEqual([[id], [id], [id]]);
    }
    const nowhere = client.scatter(1, { workers: ['no-such-worker'], hash: false });
    const error = await nowhere.exception();
    expect(isBaskError(error, 'ERR_NO_WORKERS')).toBe(true);
    expect((error as Error).message).toContain('no-such-worker');
  });
});

describe('Pool sessions behind a scatter', () => {
  it("hands a held submission's refusal to its sender, and runs the next one", async () => {
    await using pool = new Pool({ numWorkers: 2 });
    const reports: string[] = [];
    const client = await pool.openSession({
      report: (r) => reports.push(`${r.key}:${r.state}`),
      closed: () => undefined,
    });
    const submit = (graph: Record<string, unknown>, wanted: string[]): Promise<void> =>
      pool.sessionEvent({
        type: 'graph-submitted',
        client,
        batch: prepareGraph(viewGraph(graph), wanted, { isExternal: () => true }),
        wanted,
      });
    const scattered = pool.scatterKeys(client, ['s'], [41], {});
    // Both wait for the scatter; the first names a key the engine does not know.
    const refused = submit({ bad: task(tasks.inc, ref('ghost')) }, ['bad']);
    const accepted = submit({ good: task(tasks.inc, ref('s')) }, ['good']);
    await scattered;
    const error = await refused.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isBaskError(error, 'ERR_MISSING_KEY')).toBe(true);
    await accepted;
    await expect.poll(() => reports).toContain('good:memory');
    // Nothing in flight: a refusal comes back at once.
    const again = await submit({ bad2: task(tasks.inc, ref('ghost')) }, ['bad2']).catch(
      (e: unknown) => e,
    );
    expect(isBaskError(again, 'ERR_MISSING_KEY')).toBe(true);
  });
});
