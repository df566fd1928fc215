/**
 * `runSpreads` on a real cluster (scheduler and worker processes): batches of growing size
 * (4, 8, 16, 32...), each one list task, fused as a cluster fuses. The task count announced to
 * diagnostics must be the count of tasks that run, whatever the batch sizes (a reduction fused
 * in part, more of it in a larger batch, once made a progress bar read 740/635), and every
 * file's result must be right.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../src/index.node.js';
import { generateStocks, runSpreads, spreadsPlain } from '../../src/seed/index.js';
import type { StartEvent } from '../../src/hooks.js';
import { startScheduler, startWorker, waitForWorkers } from './cluster.js';

let client: Client;

beforeAll(async () => {
  const { address, http } = await startScheduler();
  await startWorker(address, ['--nthreads', '2']);
  await waitForWorkers(http, 2);
  client = await Client.connect(address, { setAsDefault: false });
});

afterAll(async () => {
  await client.close();
});

describe('runSpreads on a cluster', () => {
  it('announces exactly the tasks that run, and computes every file', async () => {
    const texts = generateStocks({ days: 90, minutes: 5 });
    const files = texts.map((t) => new File([t.text], t.name));
    const starts: StartEvent[] = [];
    let ended = 0;
    const results = await runSpreads(files, {
      scheduler: client,
      callbacks: [{ start: (e) => starts.push(e), taskEnd: () => ended++ }],
    });
    expect(starts).toHaveLength(1);
    expect(starts[0]?.ntasks).toBe(ended);
    const plain = spreadsPlain(texts);
    expect(results.map((r) => ('spread' in r ? r.spread : NaN))).toEqual(plain.spreads);
    expect(results.map((r) => ('day' in r ? r.day : undefined))).toEqual(plain.days);
  });
});
