/**
 * A cluster client's Blobs on their way (src/client/uploads.ts): uploaded in submission order
 * two at a time, read instead when the scheduler does not take them (and not tried again on
 * that connection), a Blob that cannot be read failing with its own error, and parts whose
 * uploads an older connection took held back. A real HTTP server stands in for the scheduler.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openAsBlob, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { uploadUrl, type Connection } from '../../src/client/connection.js';
import type { QueuedSubmit } from '../../src/client/submits.js';
import { BlobSender, dropStale } from '../../src/client/uploads.js';
import { UploadedBytes } from '../../src/wire/uploaded.js';
import { tempDir } from '../temp-dir.js';

let server: Server | undefined;

afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** A server answering uploads with `status`; records each body's size as it arrives. */
async function uploadServer(status: number): Promise<{ url: string; bodies: number[] }> {
  const bodies: number[] = [];
  let next = 1;
  server = createServer((req: IncomingMessage, res) => {
    let size = 0;
    req.on('data', (c: Buffer) => (size += c.length));
    req.on('end', () => {
      bodies.push(size);
      res
        .writeHead(status, { 'content-type': 'application/json' })
        .end(JSON.stringify(status === 200 ? { id: `u${next++}`, bytes: size } : { error: 'no' }));
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/u/test`, bodies };
}

function connection(upload: string | undefined, generation = 0): Connection {
  return { upload, generation } as unknown as Connection;
}

describe('BlobSender', () => {
  it('uploads each Blob and gives the frame stand-ins of the right length', async () => {
    const { url, bodies } = await uploadServer(200);
    const blobs = [new Blob(['abc']), new Blob(['defgh']), new Blob([new Uint8Array(70_000)])];
    const sender = new BlobSender(() => connection(url, 3));
    const sent = await sender.send(new Set(blobs));
    expect(sent.generation).toBe(3);
    for (const blob of blobs) {
      const stand = sent.contents.get(blob);
      expect(stand).toBeInstanceOf(UploadedBytes);
      expect((stand as UploadedBytes).byteLength).toBe(blob.size);
    }
    expect(bodies.sort((a, b) => a - b)).toEqual([3, 5, 70_000]);
  });

  it('reads the Blobs when the scheduler refuses uploads, and stops trying on that connection', async () => {
    const { url, bodies } = await uploadServer(503);
    const blob = new Blob(['some,bytes\n']);
    let generation = 0;
    const sender = new BlobSender(() => connection(url, generation));
    const first = await sender.send(new Set([blob]));
    expect(first.generation).toBeUndefined();
    expect(first.contents.get(blob)).toEqual(new TextEncoder().encode('some,bytes\n'));
    expect(bodies).toHaveLength(1);
    await sender.send(new Set([new Blob(['x'])]));
    expect(bodies).toHaveLength(1);
    // A new connection tries again.
    generation = 1;
    await sender.send(new Set([new Blob(['y'])]));
    expect(bodies).toHaveLength(2);
  });

  it('reads where the connection offers no uploads', async () => {
    const blob = new Blob(['z']);
    const sent = await new BlobSender(() => connection(undefined)).send(new Set([blob]));
    expect(sent.generation).toBeUndefined();
    expect(sent.contents.get(blob)).toEqual(new TextEncoder().encode('z'));
  });

  it('fails with ERR_SERIALIZE, the read error as its cause, when the Blob cannot be read', async () => {
    const { url } = await uploadServer(200);
    const path = join(tempDir('uploads-'), 'gone.csv');
    writeFileSync(path, 'a,b\n1,2\n');
    const blob = await openAsBlob(path);
    writeFileSync(path, 'changed since it was picked\n');
    const error = await new BlobSender(() => connection(url)).send(new Set([blob])).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toMatchObject({ code: 'ERR_SERIALIZE' });
    expect(error?.message).toMatch(/changed or removed since it was chosen/);
    expect((error?.cause as Error | undefined)?.name).toBe('NotReadableError');
  });

  it('sends uploads again when the connection changed before the submission went', async () => {
    const { url, bodies } = await uploadServer(200);
    let generation = 0;
    const sender = new BlobSender(() => connection(url, generation));
    const blob = new Blob(['abc']);
    const sent = await sender.send(new Set([blob]));
    expect(await sender.fresh(sent)).toBe(sent);
    generation = 1;
    const again = await sender.fresh(sent);
    expect(again.generation).toBe(1);
    expect(bodies).toHaveLength(2);
  });
});

describe('dropStale', () => {
  it('keeps parts without uploads or with this connection’s, rejects the others', () => {
    const rejected: string[] = [];
    const owner = (name: string): QueuedSubmit =>
      ({
        resolve: () => undefined,
        reject: (e: Error) => rejected.push(`${name}: ${(e as Error & { code?: string }).code}`),
      }) as unknown as QueuedSubmit;
    const owners = [owner('a'), owner('b'), owner('c')];
    const [parts, kept] = dropStale(['A', 'B', 'C'], owners, [-1, 1, 2], 2);
    expect(parts).toEqual(['A', 'C']);
    expect(kept).toEqual([owners[0], owners[2]]);
    expect(rejected).toEqual(['b: ERR_CONNECTION']);
  });
});

describe('uploadUrl', () => {
  it("is the scheduler's own host and port, under the address's path", () => {
    const path = '/u/abc_DEF-123';
    expect(uploadUrl('ws://127.0.0.1:8786', path, {})).toBe('http://127.0.0.1:8786/u/abc_DEF-123');
    expect(uploadUrl('wss://example.org/bask/', path, {})).toBe(
      'https://example.org/bask/u/abc_DEF-123',
    );
  });

  it('is none for a path that is not an upload path, or with a custom ca', () => {
    expect(uploadUrl('ws://127.0.0.1:8786', undefined, {})).toBeUndefined();
    expect(uploadUrl('ws://127.0.0.1:8786', '//evil.example/u/x', {})).toBeUndefined();
    expect(uploadUrl('ws://127.0.0.1:8786', '/u/../../etc', {})).toBeUndefined();
    expect(uploadUrl('wss://127.0.0.1:8786', '/u/abc', { ca: 'PEM' })).toBeUndefined();
  });
});
