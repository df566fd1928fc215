/**
 * Per-client caps and the dashboard's own token on a real `bask scheduler`: a graph over
 * `--max-graph-size` and work past `--max-tasks-in-flight` are refused whole with ERR_LIMIT
 * naming the flag (and counted on /metrics), work is admitted again once results are in; a
 * `--dashboard-token` opens dashboards and nothing else.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Client } from '../../src/index.node.js';
import { exchangeHello } from '../../src/wire/handshake.js';
import { PROTOCOL_VERSION, type Hello } from '../../src/wire/protocol.js';
import { openSocket } from '../../src/wire/socket.js';
import { tasks } from '../conformance/tasks.js';
import { rejection } from '../helpers.js';
import { tempDir } from '../temp-dir.js';
import { bask, startScheduler, startWorker, waitForWorkers } from './cluster.js';
import { tasks as itasks } from './tasks.js';

async function hello(address: string, fields: Partial<Hello>): Promise<string> {
  const socket = await openSocket(address);
  try {
    const answer = await exchangeHello(socket, {
      type: 'hello',
      version: PROTOCOL_VERSION,
      role: 'client',
      ...fields,
    });
    return answer.type === 'welcome' ? 'welcome' : String((answer as { code?: string }).code);
  } finally {
    socket.close(1000, 'done');
  }
}

async function refusedSubmissions(http: string): Promise<number> {
  const text = await (await fetch(`${http}/metrics`)).text();
  return Number(/^bask_events_total\{event="submissionsRefused"\} (\d+)$/m.exec(text)?.[1] ?? 0);
}

describe('client caps', () => {
  it('refuses graphs over --max-graph-size and work past --max-tasks-in-flight with ERR_LIMIT', async () => {
    const { address, http, scheduler } = await startScheduler([
      '--max-graph-size',
      '5',
      '--max-tasks-in-flight',
      '8',
    ]);
    expect(scheduler.output()).toMatch(/Per client: 5 tasks per graph, 8 tasks in flight/);
    await startWorker(address, ['--nthreads', '2']);
    await waitForWorkers(http, 2);
    const client = await Client.connect(address, { setAsDefault: false });
    try {
      const big = client.map(tasks.add, [1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 1]);
      const tooBig = await rejection(big[0]?.result() as Promise<unknown>);
      expect(tooBig.code).toBe('ERR_LIMIT');
      expect(tooBig.message).toMatch(/6 tasks.*at most 5.*--max-graph-size/);

      // Eight tasks held in flight until a file appears; a ninth is refused, not queued.
      const gate = join(tempDir('bask-limits-'), 'go');
      const held = [
        ...client.map(itasks.valueWhenFileExists, [gate, gate, gate, gate], [1, 2, 3, 4]),
        ...client.map(itasks.valueWhenFileExists, [gate, gate, gate, gate], [5, 6, 7, 8]),
      ];
      const ninth = client.submit(itasks.valueWhenFileExists, gate, 9);
      const refused = await rejection(ninth.result());
      expect(refused.code).toBe('ERR_LIMIT');
      expect(refused.message).toMatch(/8 tasks in flight.*adds 1.*--max-tasks-in-flight/);
      writeFileSync(gate, '');
      expect(await client.gather(held)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      // Their results are in: the client may submit again.
      expect(await client.submit(itasks.valueWhenFileExists, gate, 10).result()).toBe(10);
      expect(await refusedSubmissions(http)).toBe(2);
    } finally {
      await client.close();
    }
  });
});

describe('dashboard token', () => {
  it('opens dashboards, and only dashboards', async () => {
    const { address, scheduler } = await startScheduler(
      ['--client-token', 'c-secret', '--worker-token', 'w-secret'],
      { BASK_DASHBOARD_TOKEN: 'd-secret' },
    );
    expect(scheduler.output()).toMatch(/Dashboards: their own token/);
    expect(await hello(address, { role: 'dashboard', token: 'd-secret' })).toBe('welcome');
    expect(await hello(address, { role: 'dashboard', token: 'c-secret' })).toBe('welcome');
    expect(await hello(address, { role: 'dashboard', token: 'w-secret' })).toBe('ERR_AUTH');
    expect(await hello(address, { role: 'client', token: 'd-secret' })).toBe('ERR_AUTH');
    const client = await rejection(
      Client.connect(address, { token: 'd-secret', setAsDefault: false }),
    );
    expect(client.code).toBe('ERR_AUTH');
  });

  it('refuses a dashboard token equal to another role’s', async () => {
    const scheduler = bask([
      'scheduler',
      '--port',
      '0',
      '--dashboard-port',
      '0',
      '--client-token',
      'same',
      '--dashboard-token',
      'same',
    ]);
    expect(await scheduler.exited).not.toBe(0);
    expect(scheduler.output()).toMatch(/dashboard token must differ/);
  });
});
