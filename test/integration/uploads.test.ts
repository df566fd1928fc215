/**
 * Files and Blobs go to a real `bask scheduler` as HTTP uploads ahead of the submissions that
 * use them (src/wire/uploaded.ts): `runSpreads` and a user's own graph with a File both
 * upload, and workers get the bytes; the upload path is a credential of one connection, with
 * its size limit, its CORS answer, and references to uploads checked like any message.
 */
import { openAsBlob, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../src/index.node.js';
import { generateStocks, runSpreads, spreadsPlain } from '../../src/seed/index.js';
import { decodeFrame, encodeFrame } from '../../src/wire/frame.js';
import { handshake } from '../../src/wire/handshake.js';
import { CLOSE, PROTOCOL_VERSION } from '../../src/wire/protocol.js';
import { openSocket, type Socket } from '../../src/wire/socket.js';
import { UploadedBytes } from '../../src/wire/uploaded.js';
import { tempDir } from '../temp-dir.js';
import { startScheduler, startWorker, waitForWorkers } from './cluster.js';

const MAX = 8 << 20;
let address: string;
let http: string;
let client: Client;

beforeAll(async () => {
  ({ address, http } = await startScheduler(['--max-message-size', String(MAX)]));
  await startWorker(address, ['--nthreads', '2']);
  await waitForWorkers(http, 2);
  client = await Client.connect(address, { setAsDefault: false });
});

afterAll(async () => {
  await client.close();
});

/** `bask_events_total{event=name}` on /metrics. */
async function events(name: string): Promise<number> {
  const text = await (await fetch(`${http}/metrics`)).text();
  const match = new RegExp(`^bask_events_total\\{event="${name}"\\} (\\d+)$`, 'm').exec(text);
  return Number(match?.[1] ?? 0);
}

/** A raw client connection: its socket, its upload URL, the messages it got, its close code. */
async function rawClient(): Promise<{
  socket: Socket;
  upload: string;
  replies: Record<string, unknown>[];
  closed: Promise<number>;
}> {
  const socket = await openSocket(address);
  const welcome = await handshake(socket, {
    type: 'hello',
    version: PROTOCOL_VERSION,
    role: 'client',
  });
  expect(welcome.upload).toMatch(/^\/u\/[\w-]+$/);
  const replies: Record<string, unknown>[] = [];
  socket.onMessage((data) => replies.push(decodeFrame(data) as Record<string, unknown>));
  const closed = new Promise<number>((resolve) => socket.onClose((code) => resolve(code)));
  const upload = new URL(welcome.upload as string, address.replace(/^ws/, 'http')).href;
  return { socket, upload, replies, closed };
}

async function post(
  url: string,
  body: Uint8Array<ArrayBuffer>,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(url, { method: 'POST', body: new Blob([body]), headers });
  return {
    status: response.status,
    json: (await response.json()) as Record<string, unknown>,
    headers: response.headers,
  };
}

async function until<T>(probe: () => T | undefined): Promise<T> {
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('uploads to a cluster', () => {
  it('runSpreads uploads each group of Files once, and every result is right', async () => {
    const texts = generateStocks({ days: 60, minutes: 30 });
    const files = texts.map((t) => new File([t.text], t.name));
    const total = files.reduce((n, f) => n + f.size, 0);
    const [count0, bytes0] = [await events('uploads'), await events('uploadedBytes')];
    const results = await runSpreads(files, { scheduler: client });
    const plain = spreadsPlain(texts);
    expect(results.map((r) => ('spread' in r ? r.spread : NaN))).toEqual(plain.spreads);
    expect(results.map((r) => ('day' in r ? r.day : undefined))).toEqual(plain.days);
    expect(await events('uploadedBytes')).toBe(bytes0 + total);
    // Groups of files, not one upload per file.
    const uploads = (await events('uploads')) - count0;
    expect(uploads).toBeGreaterThan(0);
    expect(uploads).toBeLessThan(files.length / 4);
  });

  it('a file that can no longer be read fails alone, by name; its group is computed file by file', async () => {
    const texts = generateStocks({ days: 12, minutes: 30 });
    const path = join(tempDir('uploads-'), 'changed.csv');
    writeFileSync(path, texts[5]?.text ?? '');
    const files: Blob[] = texts.map((t) => new File([t.text], t.name));
    files[5] = await openAsBlob(path);
    // Changed since it was picked: the browser (and Node) refuse to read it.
    writeFileSync(path, 'changed,after\n1,2\n');
    const names = texts.map((t) => t.name);
    const results = await runSpreads(files, { scheduler: client, names });
    const plain = spreadsPlain(texts);
    results.forEach((r, i) => {
      if (i === 5) {
        expect('error' in r && r.file).toBe(names[5]);
        expect('error' in r && r.error.code).toBe('ERR_SERIALIZE');
      } else {
        expect('spread' in r && r.spread).toBe(plain.spreads[i]);
      }
    });
  });

  it("a user's File reaches the task as a File with its name and bytes", async () => {
    const file = new File(['a,b\n1,2\n', 'x'.repeat(40_000)], 'mine.csv', { type: 'text/csv' });
    const bytes0 = await events('uploadedBytes');
    const future = client.submit(
      async (f: File) => [f.name, f.size, (await f.text()).slice(0, 8)],
      file,
    );
    expect(await future.result()).toEqual(['mine.csv', file.size, 'a,b\n1,2\n']);
    expect(await events('uploadedBytes')).toBe(bytes0 + file.size);
  });

  it('a scatter may refer to an upload; a second reference to it closes the connection', async () => {
    const raw = await rawClient();
    const bytes = new Uint8Array(100_000).map((_, i) => i % 251);
    const { status, json } = await post(raw.upload, bytes);
    expect(status).toBe(200);
    expect(json['bytes']).toBe(bytes.byteLength);
    const ref = new UploadedBytes(json['id'] as string, bytes.byteLength);
    raw.socket.send(encodeFrame({ type: 'scatter', id: 1, keys: ['up-1'], values: [ref] }));
    await until(() => raw.replies.find((r) => r['type'] === 'scattered'));
    raw.socket.send(encodeFrame({ type: 'gather', id: 2, keys: ['up-1'] }));
    const gathered = await until(() => raw.replies.find((r) => r['type'] === 'gathered'));
    expect(gathered['values']).toEqual([bytes]);
    // Taken once: the same id again is a malformed message.
    raw.socket.send(encodeFrame({ type: 'scatter', id: 3, keys: ['up-2'], values: [ref] }));
    expect(await raw.closed).toBe(CLOSE.invalid);
  });

  it('refuses a wrong length, an unknown id, a foreign path, GET and bodies over the limit', async () => {
    const raw = await rawClient();
    expect((await fetch(raw.upload)).status).toBe(405);
    const wrongPath = raw.upload.replace(/\/u\/.*/, '/u/not-a-secret');
    expect((await post(wrongPath, new Uint8Array(10))).status).toBe(404);
    // Refused as soon as its length is known: the client reads the 413, or (still writing
    // when the scheduler hangs up) a reset.
    const over = await post(raw.upload, new Uint8Array(MAX + 1)).then(
      (r) => r.status,
      () => 'reset',
    );
    expect([413, 'reset']).toContain(over);
    const { json } = await post(raw.upload, new Uint8Array(1000));
    const wrong = new UploadedBytes(json['id'] as string, 999);
    raw.socket.send(encodeFrame({ type: 'scatter', id: 1, keys: ['w'], values: [wrong] }));
    expect(await raw.closed).toBe(CLOSE.invalid);

    const other = await rawClient();
    const unknown = new UploadedBytes('u999', 10);
    other.socket.send(encodeFrame({ type: 'scatter', id: 1, keys: ['w'], values: [unknown] }));
    expect(await other.closed).toBe(CLOSE.invalid);
    // A path lasts as long as its connection.
    expect((await post(other.upload, new Uint8Array(10))).status).toBe(404);
  });

  it('lets pages of allowed origins read the answer, and no others', async () => {
    const raw = await rawClient();
    const local = await post(raw.upload, new Uint8Array(10), { origin: 'http://localhost:5173' });
    expect(local.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const foreign = await post(raw.upload, new Uint8Array(10), {
      origin: 'https://elsewhere.example',
    });
    expect(foreign.status).toBe(200);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    raw.socket.close(1000, 'done');
  });
});
