/** The conformance suite against a real `bask scheduler` with two real `bask worker` processes. */
import { afterAll, beforeAll } from 'vitest';
import { Client } from '../../src/index.node.js';
import { conformanceSuite } from '../conformance/suite.js';
import { startScheduler, startWorker, waitForWorkers } from './cluster.js';

let client: Client | undefined;

beforeAll(async () => {
  const { address, http } = await startScheduler();
  await Promise.all([
    startWorker(address, ['--nthreads', '1', '--name', 'w1']),
    startWorker(address, ['--nthreads', '1', '--name', 'w2']),
  ]);
  await waitForWorkers(http, 2);
  client = await Client.connect(address, { setAsDefault: false });
});

afterAll(async () => {
  await client?.close();
});

conformanceSuite('cluster (scheduler + 2 worker processes)', () => ({
  scheduler: client,
}));
