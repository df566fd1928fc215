/**
 * Bytes clients upload over HTTP ahead of the submissions that use them (src/wire/uploaded.ts
 * says why): `POST <path>` on the scheduler's own port, the body being the bytes. The answer is
 * `{"id": ..., "bytes": n}`; the client's next frames refer to the id, and decoding them takes
 * the bytes (`claim`) in the pieces they came in, which go on to a worker as they are.
 *
 * Policy: each client connection gets a path of its own with an unguessable secret (told in its
 * welcome, valid while the connection lasts): the path is the credential, as the task modules'
 * path is for workers. A body may be at most the largest message (`--max-message-bytes`), and a
 * connection's unclaimed uploads at most that much together (413 beyond); uploaded bytes count
 * against the connection's rate limits like its messages (429 beyond). An upload not claimed
 * within `ttlMs` is dropped, and a connection's uploads go when it closes. An unknown id or a
 * wrong length in a frame is a malformed message (the caller closes the connection).
 * Browsers on other origins may read the answer when their origin may open the WebSocket.
 *
 * Invariant: the pieces are Buffers a socket read, never written to (src/wire/frame-chunks.ts).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BaskError } from '../../src/errors.js';
import type { UploadResolver } from '../../src/wire/uploaded.js';

/** How long an upload waits for the frame that refers to it. */
const DEFAULT_TTL_MS = 60_000;
const PREFIX = '/u/';

/** The limits and hooks of a scheduler's uploads. */
export interface UploadOptions {
  /** Most bytes in one upload, and in one connection's unclaimed uploads. */
  readonly maxBytes: number;
  readonly ttlMs?: number;
  /** Counts what was uploaded (the scheduler's metrics). */
  readonly counted?: (bytes: number) => void;
}

/** One upload, stored until claimed. */
interface Stored {
  readonly pieces: Buffer[];
  readonly size: number;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** One client connection's uploads. */
export class ConnectionUploads {
  /** Where this connection POSTs (told in its welcome). */
  readonly path = `${PREFIX}${randomBytes(18).toString('base64url')}`;
  private readonly stored = new Map<string, Stored>();
  private next = 1;
  /** Bytes uploaded (or being uploaded) and not claimed. */
  private held = 0;
  private closed = false;

  constructor(
    private readonly options: UploadOptions,
    /** Charges bytes to the connection's rate limits; false when they are spent. */
    private readonly spend: (bytes: number) => boolean,
    /** Whether a browser page at `origin` may read the answer (`host`: the Host header). */
    private readonly originOk: (origin: string, host: string | undefined) => boolean,
  ) {}

  /** Takes upload `id` for a frame that refers to it (src/wire/uploaded.ts `UploadResolver`). */
  readonly claim: UploadResolver = (id, byteLength) => {
    const upload = this.stored.get(id);
    if (upload === undefined)
      throw new BaskError('ERR_PROTOCOL', `Malformed message: no upload '${id}' to refer to`);
    if (upload.size !== byteLength)
      throw new BaskError(
        'ERR_PROTOCOL',
        `Malformed message: upload '${id}' has ${upload.size} bytes, not ${byteLength}`,
      );
    this.drop(id, upload);
    return upload.pieces;
  };

  /** Receives one upload; answers 200 with its id, or 405, 413 or 429. */
  receive(req: IncomingMessage, res: ServerResponse): void {
    const origin = req.headers.origin;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      ...(origin !== undefined && this.originOk(origin, req.headers.host)
        ? { 'access-control-allow-origin': origin, vary: 'origin' }
        : {}),
    };
    const refuse = (status: number, why: string): void => {
      if (!res.headersSent)
        res
          .writeHead(status, { ...headers, connection: 'close' })
          .end(JSON.stringify({ error: why }));
      req.destroy();
    };
    if (req.method !== 'POST') {
      res.writeHead(405, { ...headers, allow: 'POST' }).end(JSON.stringify({ error: 'POST only' }));
      return;
    }
    const max = this.options.maxBytes;
    const declared = Number(req.headers['content-length']);
    if (this.closed || (Number.isFinite(declared) && this.held + declared > max))
      return refuse(413, `uploads are limited to ${max} bytes unclaimed per connection`);
    const pieces: Buffer[] = [];
    let size = 0;
    let failed = false;
    const release = (): void => {
      this.held -= size;
      size = 0;
    };
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.byteLength;
      this.held += chunk.byteLength;
      if (this.held > max || this.closed) {
        failed = true;
        release();
        return refuse(413, `uploads are limited to ${max} bytes unclaimed per connection`);
      }
      if (!this.spend(chunk.byteLength)) {
        failed = true;
        release();
        return refuse(429, 'too many bytes per second');
      }
      pieces.push(chunk);
    });
    // A body cut short (the client went away) holds nothing.
    const abandon = (): void => {
      if (!failed) release();
      failed = true;
    };
    req.on('error', abandon);
    req.on('close', () => {
      if (!req.complete) abandon();
    });
    req.on('end', () => {
      if (failed) return;
      if (this.closed) {
        release();
        return refuse(413, 'the connection closed');
      }
      const id = `u${this.next++}`;
      const timer = setTimeout(() => {
        const upload = this.stored.get(id);
        if (upload !== undefined) this.drop(id, upload);
      }, this.options.ttlMs ?? DEFAULT_TTL_MS);
      timer.unref?.();
      this.stored.set(id, { pieces, size, timer });
      this.options.counted?.(size);
      res.writeHead(200, headers).end(JSON.stringify({ id, bytes: size }));
    });
  }

  /** Drops every upload; later ones are refused (the connection closed). */
  close(): void {
    this.closed = true;
    for (const [id, upload] of this.stored) this.drop(id, upload);
  }

  private drop(id: string, upload: Stored): void {
    clearTimeout(upload.timer);
    this.stored.delete(id);
    this.held -= upload.size;
  }
}

/** Every connection's uploads, by path: routes the scheduler port's HTTP requests. */
export class Uploads {
  private readonly byPath = new Map<string, ConnectionUploads>();

  constructor(private readonly options: UploadOptions) {}

  /** Uploads for a new client connection (`close` them when it closes). */
  open(
    spend: (bytes: number) => boolean,
    originOk: (origin: string, host: string | undefined) => boolean,
  ): ConnectionUploads {
    const uploads = new ConnectionUploads(this.options, spend, originOk);
    this.byPath.set(uploads.path, uploads);
    return uploads;
  }

  /** Forgets a closed connection's uploads. */
  close(uploads: ConnectionUploads): void {
    uploads.close();
    this.byPath.delete(uploads.path);
  }

  /** Answers a request for an upload path; false when the path is none of them. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (!path.startsWith(PREFIX)) return false;
    const uploads = this.byPath.get(path);
    if (uploads === undefined) {
      req.resume();
      res
        .writeHead(404, { 'content-type': 'application/json', connection: 'close' })
        .end(JSON.stringify({ error: 'no such upload path (it lasts as long as its connection)' }));
      return true;
    }
    uploads.receive(req, res);
    return true;
  }
}
