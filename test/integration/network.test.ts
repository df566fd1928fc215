/**
 * Workers on a network: a scheduler on this machine's network address (not loopback), worker
 * processes with a token, and data that moves between them. Each advertises, for its peer
 * server, the address of the interface that routes to the scheduler (what other machines can
 * reach), and the data goes directly between the processes, not through the relay.
 *
 * The address is this machine's first non-internal IPv4 address; a machine with none runs the
 * same test on 127.0.0.1.
 */
import { networkInterfaces } from 'node:os';
import { describe, expect, it, vi } from 'vitest';
import { Client } from '../../src/index.node.js';
import { addressToward } from '../../server/worker/route.js';
import { tasks } from '../conformance/tasks.js';
import { startScheduler, startWorker, waitFor, waitForWorkers } from './cluster.js';

const WORKER_TOKEN = 'net-worker-token';
const CLIENT_TOKEN = 'net-client-token';

function networkAddress(): string {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}

describe('addressToward', () => {
  it('names the loopback address for a scheduler on loopback, nothing for a bad address', async () => {
    expect(await addressToward('ws://127.0.0.1:8786')).toBe('127.0.0.1');
    expect(await addressToward('wss://127.0.0.1')).toBe('127.0.0.1');
    expect(await addressToward('not an address')).toBeUndefined();
    expect(await addressToward('ws://no-such-host.invalid:8786')).toBeUndefined();
  });

  it('names the interface address for a scheduler on that interface', async () => {
    const host = networkAddress();
    expect(await addressToward(`ws://${host}:8786`)).toBe(host);
  });
});

describe('workers on a network', () => {
  it('advertise the address that routes to the scheduler and fetch from each other there', async () => {
    const host = networkAddress();
    const { address, http } = await startScheduler([
      '--host',
      host,
      '--worker-token',
      WORKER_TOKEN,
      '--client-token',
      CLIENT_TOKEN,
    ]);
    const alice = await startWorker(address, [
      '--token',
      WORKER_TOKEN,
      '--nthreads',
      '1',
      '--name',
      'alice',
    ]);
    const bob = await startWorker(address, [
      '--token',
      WORKER_TOKEN,
      '--nthreads',
      '1',
      '--name',
      'bob',
    ]);
    await waitForWorkers(http, 2);
    for (const worker of [alice, bob]) {
      const [, peers] = await waitFor(worker, /Peers fetch its data at: (\S+)/, 'worker');
      expect(peers).toMatch(new RegExp(`^ws://${host.replaceAll('.', '\\.')}:\\d+$`));
    }
    const client = await Client.connect(address, { token: CLIENT_TOKEN, setAsDefault: false });
    try {
      const incs = client.map(tasks.inc, [1, 2, 3], { workers: ['bob'], pure: false });
      const total = client.submit(tasks.sum, incs, { workers: ['alice'] });
      expect(await total.result()).toBe(9);
      // Bytes moved reach the scheduler with the next heartbeats.
      const metrics = await vi.waitFor(
        async () => {
          const text = await (await fetch(`${http}/metrics`)).text();
          expect(text).toMatch(/bask_transfer_bytes_total\{path="peer"\} [1-9]/);
          return text;
        },
        { timeout: 10_000, interval: 100 },
      );
      expect(metrics).not.toMatch(/bask_transfer_bytes_total\{path="relay"\} [1-9]/);
    } finally {
      await client.close();
    }
  });
});
