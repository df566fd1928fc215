/**
 * Who may talk to a real `bask scheduler`, and what happens to those who should not: tokens by
 * role, browser Origins, TLS with a self-signed certificate, rate and size limits, validation
 * of every message, the static server's paths, and a small fuzzing run beside an honest client.
 * Every refusal is checked three ways: the peer is told (or closed with its code), the
 * scheduler logs it, and /metrics counts it.
 */
import { request as httpRequest } from 'node:http';
import { get as httpsGet } from 'node:https';
import { connect } from 'node:net';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Client, isBaskError, type Future } from '../../src/index.node.js';
import { encodeFrame } from '../../src/wire/frame.js';
import { PROTOCOL_VERSION } from '../../src/wire/protocol.js';
import { openSocket } from '../../src/wire/socket.js';
import { fuzzConnection, type FuzzBudget } from '../../bench/fuzz.js';
import { speak, upgradeFrom } from '../../bench/probes.js';
import { tasks } from '../conformance/tasks.js';
import { bask, startScheduler, startWorker, waitFor, waitForWorkers } from './cluster.js';
import { rejection } from '../helpers.js';
import { tempDir } from '../temp-dir.js';

const CLIENT_TOKEN = 'client-secret-1';
const WORKER_TOKEN = 'worker-secret-2';
const TLS_DIR = fileURLToPath(new URL('./fixtures/tls/', import.meta.url));
const CERT = join(TLS_DIR, 'cert.pem');
const KEY = join(TLS_DIR, 'key.pem');

async function metrics(http: string): Promise<string> {
  return (await fetch(`${http}/metrics`)).text();
}

function counter(text: string, name: string, reason: string): number {
  const match = new RegExp(`^${name}\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text);
  return Number(match?.[1] ?? 0);
}

/** A raw HTTP GET with the path exactly as given (no URL normalization). */
function rawGet(http: string, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(http);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`);
    });
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('end', () => {
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    socket.on('error', reject);
  });
}

describe('tokens and roles', () => {
  it('refuses wrong and missing tokens by role, logs and counts each refusal', async () => {
    const { scheduler, address, http } = await startScheduler([
      '--client-token',
      CLIENT_TOKEN,
      '--worker-token',
      WORKER_TOKEN,
    ]);
    expect(scheduler.output()).toContain('Clients: token required');
    expect(scheduler.output()).toContain('Workers: token required');

    const missing = await rejection(Client.connect(address, { setAsDefault: false }));
    expect(missing.code).toBe('ERR_AUTH');
    expect(missing.message).toMatch(/needs a client token/);
    const wrong = await rejection(Client.connect(address, { token: 'guess', setAsDefault: false }));
    expect(wrong.code).toBe('ERR_AUTH');
    expect(wrong.message).toMatch(/Wrong client token/);
    // A worker token never opens the client door.
    const crossed = await rejection(
      Client.connect(address, { token: WORKER_TOKEN, setAsDefault: false }),
    );
    expect(crossed.code).toBe('ERR_AUTH');

    const badWorker = bask(['worker', address, '--token', 'guess']);
    expect(await badWorker.exited).not.toBe(0);
    expect(badWorker.output()).toMatch(/Wrong worker token/);

    const dashboard = await speak(address, { role: 'dashboard' });
    expect(dashboard.reply).toMatchObject({ type: 'refused', code: 'ERR_AUTH' });
    expect(dashboard.code).toBe(4001);

    await startWorker(address, ['--token', WORKER_TOKEN, '--nthreads', '1']);
    await waitForWorkers(http, 1);
    const client = await Client.connect(address, { token: CLIENT_TOKEN, setAsDefault: false });
    expect(await client.submit(tasks.add, 20, 22).result()).toBe(42);
    await client.close();

    const text = await metrics(http);
    expect(counter(text, 'bask_connections_refused_total', 'auth')).toBe(5);
    const refusals = scheduler.output().match(/refused \(auth\)/g) ?? [];
    expect(refusals).toHaveLength(5);
  });

  it('closes a worker connection that tries to submit work (4002), the others carry on', async () => {
    const { scheduler, address, http } = await startScheduler(['--worker-token', WORKER_TOKEN]);
    await startWorker(address, ['--token', WORKER_TOKEN, '--nthreads', '1']);
    await waitForWorkers(http, 1);
    const rogue = await speak(
      address,
      {
        role: 'worker',
        token: WORKER_TOKEN,
        worker: { nthreads: 1, memoryLimit: 0, resources: {}, host: 'rogue', kind: 'node' },
      },
      [{ type: 'submit', id: 1, graph: {}, wanted: ['x'] }],
    );
    expect(rogue.reply).toMatchObject({ type: 'welcome' });
    expect(rogue.code).toBe(4002);
    await waitFor(scheduler, /closing c\d+ \(worker, [^)]*\): invalid message/, 'scheduler log');
    expect(counter(await metrics(http), 'bask_connections_closed_total', 'invalid')).toBe(1);
    // Without a client token, clients on this machine are served.
    const client = await Client.connect(address, { setAsDefault: false });
    expect(await client.submit(tasks.inc, 1).result()).toBe(2);
    await client.close();
    await waitForWorkers(http, 1);
  });
});

describe('browsers', () => {
  it('refuses pages from foreign origins, accepts its own, localhost and --allow-origin', async () => {
    const { scheduler, address, http } = await startScheduler([
      '--allow-origin',
      'https://app.example.org',
    ]);
    expect(await upgradeFrom(address, 'https://evil.example.com')).toBe(403);
    expect(await upgradeFrom(address, 'null')).toBe(403);
    expect(await upgradeFrom(address, http)).toBe('open');
    expect(await upgradeFrom(address, 'http://localhost:5173')).toBe('open');
    expect(await upgradeFrom(address, 'https://app.example.org')).toBe('open');
    await waitFor(scheduler, /refused \(origin\) a page at https:\/\/evil\.example\.com/, 'log');
    expect(counter(await metrics(http), 'bask_connections_refused_total', 'origin')).toBe(2);
  });
});

describe('hostile input', () => {
  it('validates messages: wrong fields close with 4002 and never reach the engine', async () => {
    const { scheduler, address, http } = await startScheduler();
    await startWorker(address, ['--nthreads', '1']);
    await waitForWorkers(http, 1);
    const cases: Record<string, unknown>[] = [
      { type: 'submit', id: 1, graph: { keys: 'a' }, wanted: [] },
      {
        type: 'submit',
        id: 1,
        graph: {
          keys: ['a', 'b'],
          specs: [
            { fn: null, args: [1], marked: false },
            { fn: null, args: [], marked: true },
          ],
          depStart: new Int32Array([0, 1, 1]),
          depList: new Int32Array([1]),
          external: [],
        },
        wanted: ['a'],
      },
      { type: 'gather', id: -1, keys: ['a'] },
      { type: 'release', keys: [42] },
      { type: 'no-such-message' },
    ];
    for (const message of cases) {
      const { reply, code } = await speak(address, { role: 'client' }, [message]);
      expect(reply).toMatchObject({ type: 'welcome' });
      expect(code).toBe(4002);
    }
    // A hello that is not one, and a huge first message.
    expect((await speak(address, { role: 'emperor' })).code).toBe(4002);
    const socket = await openSocket(address);
    const closed = new Promise<number>((resolve) => socket.onClose((code) => resolve(code)));
    socket.send([new Uint8Array(100_000)]);
    expect(await closed).toBe(4002);

    const text = await metrics(http);
    expect(counter(text, 'bask_connections_closed_total', 'invalid')).toBe(cases.length + 1);
    expect(counter(text, 'bask_connections_refused_total', 'invalid')).toBe(1);
    expect(scheduler.output()).toMatch(/graph: task 0 has an out-of-range dependency 1/);
    const client = await Client.connect(address, { setAsDefault: false });
    expect(await client.submit(tasks.add, 1, 2).result()).toBe(3);
    await client.close();
  });

  it('ignores a worker that answers gathers meant for another worker', async () => {
    const { address, http } = await startScheduler();
    await startWorker(address, ['--nthreads', '1', '--name', 'honest']);
    await waitForWorkers(http, 1);
    // A rogue worker process (no threads taking work: it never says ready) answers every
    // gather part id it can guess with a wrong value.
    const rogue = await openSocket(address);
    rogue.send(
      encodeFrame({
        type: 'hello',
        version: PROTOCOL_VERSION,
        role: 'worker',
        name: 'rogue',
        worker: { nthreads: 1, memoryLimit: 0, resources: {}, host: 'rogue', kind: 'node' },
      }),
    );
    let spoofing = true;
    let spoofed = 0;
    const spoof = (async () => {
      while (spoofing) {
        for (let id = 0; id < 200; id++)
          rogue.send(encodeFrame({ type: 'gathered', id, values: [-1], missing: [] }));
        spoofed += 200;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();
    const client = await Client.connect(address, { setAsDefault: false });
    // Results this big stay on the worker (not reported inline): gathering asks for them.
    for (let round = 0; round < 20; round++) {
      const [array] = await client.gather([client.submit(tasks.bytes, 50_000 + round)]);
      expect(array).toBeInstanceOf(Float64Array);
      expect(array?.length).toBe(50_000 + round);
      expect(array?.[49_999]).toBe(49_999);
    }
    spoofing = false;
    await spoof;
    expect(spoofed).toBeGreaterThan(0);
    await client.close();
    rogue.close();
  });

  it('closes a connection over its rate (4003) and one sending an oversized message (1009)', async () => {
    const { address, http } = await startScheduler([
      '--rate-limit',
      '20',
      '--max-message-size',
      '64KiB',
    ]);
    await startWorker(address, ['--nthreads', '1']);
    await waitForWorkers(http, 1);
    const pings = Array.from({ length: 1000 }, (_, id) => ({ type: 'ping', id }));
    expect((await speak(address, { role: 'client' }, pings)).code).toBe(4003);

    const client = await Client.connect(address, { setAsDefault: false });
    // scatter hands out futures at once; the future fails when the connection closes.
    const [placed] = client.scatter([new Float64Array(100_000)]);
    const big = await rejection((placed as Future<Float64Array>).result());
    expect(isBaskError(big) && big.code).toBe('ERR_CONNECTION');
    expect(big.message).toMatch(/1009/);
    const text = await metrics(http);
    expect(counter(text, 'bask_connections_closed_total', 'rate')).toBe(1);
    expect(counter(text, 'bask_connections_closed_total', 'too-big')).toBe(1);
    // The worker, under the same rate limit, is unharmed; a new client computes.
    const again = await Client.connect(address, { setAsDefault: false });
    expect(await again.submit(tasks.inc, 41).result()).toBe(42);
    await again.close();
  });

  it('keeps serving an honest client while 3,000 fuzzed messages arrive from both roles', async () => {
    const { scheduler, address, http } = await startScheduler();
    await startWorker(address, ['--nthreads', '2']);
    await waitForWorkers(http, 2);
    const client = await Client.connect(address, { setAsDefault: false });
    const budget: FuzzBudget = { left: 3000, sent: 0, closes: 0 };
    let honest = 0;
    let fuzzing = true;
    const honestRuns = (async () => {
      while (fuzzing || honest < 3) {
        const xs = Array.from({ length: 20 }, (_, i) => i + honest * 100);
        const results = await client.gather(client.map(tasks.inc, xs));
        expect(results).toEqual(xs.map((x) => x + 1));
        honest++;
      }
    })();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (budget.left > 0) await fuzzConnection(address, budget);
      }),
    );
    fuzzing = false;
    await honestRuns;
    await client.close();
    expect(budget.sent).toBe(3000);
    expect(budget.closes).toBeGreaterThan(0);
    expect(scheduler.child.exitCode).toBeNull();
    expect(await (await fetch(`${http}/health`)).text()).toBe('ok\n');
  });
});

describe('HTTP', () => {
  it('serves only files inside its folder, and task modules only under the workers’ secret path', async () => {
    const root = tempDir('bask-static-');
    mkdirSync(join(root, 'site'));
    writeFileSync(join(root, 'site', 'index.html'), '<p>demo</p>');
    writeFileSync(join(root, 'secret.txt'), 'do not serve');
    const { http } = await startScheduler(['--static', join(root, 'site')]);
    expect((await rawGet(http, '/index.html')).body).toBe('<p>demo</p>');
    for (const path of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/..%5csecret.txt',
      '/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '//etc/passwd',
      '/index.html%00.txt',
      `/${root}/secret.txt`,
    ]) {
      const { status, body } = await rawGet(http, path);
      expect([path, status]).toEqual([path, 404]);
      expect(body).not.toContain('do not serve');
    }
    expect((await rawGet(http, '/modules?url=file:///x.js')).status).toBe(404);
  });
});

describe('TLS', () => {
  it('encrypts data between worker processes served with --tls-cert and trusted with --tls-ca', async () => {
    const { address, http } = await startScheduler(['--tls-cert', CERT, '--tls-key', KEY]);
    const ca = readFileSync(CERT, 'utf8');
    const tlsArgs = ['--tls-ca', CERT, '--tls-cert', CERT, '--tls-key', KEY, '--nthreads', '1'];
    const alice = await startWorker(address, [...tlsArgs, '--name', 'alice']);
    const bob = await startWorker(address, [...tlsArgs, '--name', 'bob']);
    for (const worker of [alice, bob]) {
      const [, peers] = await waitFor(worker, /Peers fetch its data at: (\S+)/, 'worker');
      expect(peers).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
    }
    const halfTls = bask(['worker', address, '--tls-ca', CERT, '--tls-cert', CERT]);
    expect(await halfTls.exited).not.toBe(0);
    expect(halfTls.output()).toMatch(/--tls-cert and --tls-key go together/);
    const client = await Client.connect(address, { ca, setAsDefault: false });
    try {
      const incs = client.map(tasks.inc, [1, 2, 3], { workers: ['bob'], pure: false });
      const total = client.submit(tasks.sum, incs, { workers: ['alice'] });
      expect(await total.result()).toBe(9);
      const metricsText = (): Promise<string> =>
        new Promise((resolve, reject) => {
          httpsGet(`${http}/metrics`, { ca }, (res) => {
            let body = '';
            res.on('data', (d: Buffer) => (body += d.toString()));
            res.on('end', () => resolve(body));
          }).on('error', reject);
        });
      // Bytes moved reach the scheduler with the next heartbeats: peer to peer, over wss.
      let text = await metricsText();
      while (!/bask_transfer_bytes_total\{path="peer"\} [1-9]/.test(text)) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        text = await metricsText();
      }
      expect(text).not.toMatch(/bask_transfer_bytes_total\{path="relay"\} [1-9]/);
    } finally {
      await client.close();
    }
  });

  it('serves wss:// and https:// with a self-signed certificate', async () => {
    const { address, http } = await startScheduler(['--tls-cert', CERT, '--tls-key', KEY]);
    expect(address).toMatch(/^wss:\/\//);
    expect(http).toMatch(/^https:\/\//);
    const ca = readFileSync(CERT, 'utf8');
    // A worker process trusts the certificate through NODE_EXTRA_CA_CERTS.
    const worker = bask(['worker', address, '--nthreads', '1'], { NODE_EXTRA_CA_CERTS: CERT });
    await waitFor(worker, /registered at/, 'worker');
    // ...or through --tls-ca, without touching the environment.
    const second = bask(['worker', address, '--nthreads', '1', '--tls-ca', CERT]);
    await waitFor(second, /registered at/, 'worker');
    const missingCa = bask(['worker', address, '--tls-ca', join(TLS_DIR, 'nope.pem')]);
    expect(await missingCa.exited).not.toBe(0);
    expect(missingCa.output()).toMatch(/--tls-ca: cannot read .*nope\.pem/);
    const untrusted = await rejection(Client.connect(address, { setAsDefault: false }));
    expect(untrusted.code).toBe('ERR_CONNECTION');
    const client = await Client.connect(address, { ca, setAsDefault: false });
    expect(await client.submit(tasks.add, 2, 40).result()).toBe(42);
    await client.close();
    const health = await new Promise<string>((resolve, reject) => {
      httpsGet(`${http}/health`, { ca }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(body));
      }).on('error', reject);
    });
    expect(health).toBe('ok\n');
    // Plain HTTP to the TLS port is not answered as a page.
    const plain = await new Promise<number | string>((resolve) => {
      httpRequest(http.replace('https:', 'http:') + '/health', (res) =>
        resolve(res.statusCode ?? 0),
      )
        .on('error', (error) => resolve(error.message))
        .end();
    });
    expect(plain).not.toBe(200);
  });

  it('refuses half a TLS configuration at startup', async () => {
    const half = bask(['scheduler', '--port', '0', '--dashboard-port', '0', '--tls-cert', CERT]);
    expect(await half.exited).toBe(2);
    expect(half.output()).toMatch(/--tls-cert and --tls-key go together/);
  });
});
