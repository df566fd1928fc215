/**
 * A task-module function passed only as a callback (`delayed(xs).map(tasks.triple)`) reaches
 * workers on other processes: the Node client uploads its module although no task names it as
 * its own function (regression: only task functions' modules were uploaded).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, delayed } from '../../src/index.node.js';
import { startScheduler, startWorker, waitForWorkers } from './cluster.js';
import { callbackTasks } from './fixtures/callback-tasks.js';

let client: Client;

beforeAll(async () => {
  const { address, http } = await startScheduler();
  await startWorker(address, ['--nthreads', '1']);
  await waitForWorkers(http, 1);
  client = await Client.connect(address);
});

afterAll(async () => {
  await client?.close();
});

describe('task modules named only by callbacks', () => {
  it('are uploaded for workers on other processes', async () => {
    const tripled = delayed([1, 2, 3]).map(callbackTasks.triple);
    expect(await tripled.compute({ scheduler: client })).toEqual([3, 6, 9]);
  });
});
