/**
 * Submissions batched per tick on a real `bask scheduler`: the submits made in one run of code
 * travel in few messages (256 submits each, counted by the scheduler on /metrics), keep their order, and each
 * is still refused alone (ERR_LIMIT) or failed alone; closing the client settles what is queued.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, type Future } from '../../src/index.node.js';
import { tasks } from '../conformance/tasks.js';
import { rejection } from '../helpers.js';
import { startScheduler, startWorker, waitForWorkers } from './cluster.js';

let address = '';
let http = '';
let client: Client;

async function counted(event: string): Promise<number> {
  const text = await (await fetch(`${http}/metrics`)).text();
  const pattern = new RegExp(`^bask_events_total\\{event="${event}"\\} (\\d+)$`, 'm');
  return Number(pattern.exec(text)?.[1] ?? 0);
}

beforeAll(async () => {
  ({ address, http } = await startScheduler(['--max-graph-size', '5']));
  await startWorker(address, ['--nthreads', '2']);
  await waitForWorkers(http, 2);
  client = await Client.connect(address, { setAsDefault: false });
});

afterAll(async () => {
  await client.close();
});

describe('submissions batched per tick', () => {
  it('sends 10,000 submits made in one tick in ~40 messages, not 10,000', async () => {
    const messages = await counted('submitMessages');
    const submissions = await counted('submissions');
    const futures: Future<number>[] = [];
    for (let i = 0; i < 10_000; i++) futures.push(client.submit(tasks.inc, i, { pure: false }));
    const values = await client.gather(futures);
    expect(values).toEqual(Array.from({ length: 10_000 }, (_, i) => i + 1));
    expect(await counted('submissions')).toBe(submissions + 10_000);
    const sent = (await counted('submitMessages')) - messages;
    // At most TICK_PARTS (256) submissions per message: 40 messages, not 10,000.
    expect(sent).toBeGreaterThanOrEqual(1);
    expect(sent).toBeLessThanOrEqual(60);
    for (const f of futures) f.release();
  });

  it('keeps the order of a tick: each submit may use the future of the one before', async () => {
    let last: Future<number> = client.submit(tasks.inc, 0, { pure: false });
    const chain = [last];
    for (let i = 1; i < 500; i++) {
      last = client.submit(tasks.inc, last, { pure: false });
      chain.push(last);
    }
    expect(await last.result()).toBe(500);
    for (const f of chain) f.release();
  });

  it('refuses one submission of a tick alone (ERR_LIMIT), with the others computed', async () => {
    const refused = await counted('submissionsRefused');
    const before = Array.from({ length: 300 }, (_, i) =>
      client.submit(tasks.inc, i, { pure: false }),
    );
    // Six tasks in one submission: over --max-graph-size 5.
    const tooBig = client.map(tasks.add, [1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 1]);
    // A submission that cannot be built fails at once, and the tick goes on.
    expect(() => client.submit(Math.max, 1, 2)).toThrowError(
      expect.objectContaining({ code: 'ERR_UNSHIPPABLE_FUNCTION' }) as Error,
    );
    const after = Array.from({ length: 300 }, (_, i) =>
      client.submit(tasks.inc, 1000 + i, { pure: false }),
    );
    for (const f of tooBig) {
      const error = await rejection(f.result());
      expect(error.code).toBe('ERR_LIMIT');
      expect(error.message).toMatch(/6 tasks.*at most 5.*--max-graph-size/);
    }
    expect(await client.gather(before)).toEqual(before.map((_, i) => i + 1));
    expect(await client.gather(after)).toEqual(after.map((_, i) => 1001 + i));
    expect(await counted('submissionsRefused')).toBe(refused + 1);
    for (const f of [...before, ...after]) f.release();
  });

  it('settles every submission of a tick when the client closes in that tick', async () => {
    const other = await Client.connect(address, { setAsDefault: false });
    const futures = Array.from({ length: 1000 }, (_, i) =>
      other.submit(tasks.inc, i, { pure: false }),
    );
    await other.close();
    const outcomes = await Promise.allSettled(futures.map((f) => f.result()));
    // Each one settled (sent before the close, then failed with the closed client): none hangs.
    expect(outcomes).toHaveLength(1000);
    for (const o of outcomes) expect(o.status).toBe('rejected');
  });
});
