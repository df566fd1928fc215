/**
 * The Files and Blobs of a cluster client's submission, made ready for its frame: uploaded to
 * the scheduler over HTTP where it takes uploads (wire/uploaded.ts says why), else read here.
 *
 * Policy: a client's Blobs upload two at a time, in the order they were submitted, each a
 * `fetch` POST whose body is the Blob itself (the browser streams it; this thread never holds
 * its bytes). Two keep the network busy; with the uploads of sixteen submissions in flight at
 * once they shared the bandwidth and the first results waited for nearly all of them (first
 * row 0.8 s of a 1.05 s run, 2,000 files). Should an upload fail, the Blobs are read here
 * instead and go in the frame, as they did before uploads: when reading fails too, the Blob
 * itself is at fault and the submission fails with ERR_SERIALIZE naming it; when reading
 * works, uploads are off for the rest of that connection (a proxy that forwards only the
 * WebSocket, say). Uploads belong to the connection that took them: `fresh` sends them again
 * (or reads them) when the connection changed before the submission went out.
 */
import { BaskError } from '../errors.js';
import { readBlobs } from '../wire/blob-bytes.js';
import type { BlobContents } from '../wire/clone.js';
import { UploadedBytes } from '../wire/uploaded.js';
import type { Connection } from './connection.js';
import type { QueuedSubmit } from './submits.js';

/** Uploads in flight at once for one client. */
const UPLOADS_IN_FLIGHT = 2;

/** A submission's Blobs as its frame can carry them. */
export interface SentBlobs {
  readonly blobs: ReadonlySet<Blob>;
  readonly contents: BlobContents;
  /** The connection generation the uploads belong to; undefined when the bytes were read. */
  readonly generation: number | undefined;
}

/** Sends the Blobs of a client's submissions on one connection. */
export class BlobSender {
  /** The generation whose uploads failed: the rest of its submissions read instead. */
  private failedIn = -1;
  /** Uploads in flight, and those waiting for a turn (first come, first served). */
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly connection: () => Connection) {}

  /** `blobs` uploaded, or read where uploads are not to be had. */
  async send(blobs: ReadonlySet<Blob>): Promise<SentBlobs> {
    const { upload, generation } = this.connection();
    if (upload !== undefined && this.failedIn !== generation) {
      try {
        return { blobs, contents: await this.uploadAll(blobs, upload), generation };
      } catch {
        // Read them here: a Blob that cannot be read fails the submission (ERR_SERIALIZE).
        const contents = await readBlobs(blobs);
        this.failedIn = generation;
        return { blobs, contents, generation: undefined };
      }
    }
    return { blobs, contents: await readBlobs(blobs), generation: undefined };
  }

  /** `sent`, or sent again when its uploads belong to an older connection. */
  fresh(sent: SentBlobs): SentBlobs | Promise<SentBlobs> {
    const current = this.connection().generation;
    return sent.generation === undefined || sent.generation === current
      ? sent
      : this.send(sent.blobs);
  }

  /** Uploads every Blob of `blobs` to `url` as turns come; rejects on the first failure. */
  private async uploadAll(
    blobs: ReadonlySet<Blob>,
    url: string,
  ): Promise<Map<Blob, UploadedBytes>> {
    const out = new Map<Blob, UploadedBytes>();
    await Promise.all(
      [...blobs].map(async (blob) => {
        await this.turn();
        try {
          out.set(blob, await uploadOne(blob, url));
        } finally {
          this.done();
        }
      }),
    );
    return out;
  }

  /** Resolves when an upload may start (its slot is handed over by `done`). */
  private turn(): Promise<void> {
    if (this.active < UPLOADS_IN_FLIGHT) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private done(): void {
    const next = this.waiting.shift();
    if (next === undefined) this.active--;
    else next();
  }
}

async function uploadOne(blob: Blob, url: string): Promise<UploadedBytes> {
  // Without a type, the POST needs no CORS preflight (the scheduler's port may be another origin).
  const body = blob.type === '' ? blob : blob.slice(0, blob.size, '');
  const response = await fetch(url, { method: 'POST', body });
  const answer = (await response.json()) as { id?: unknown; bytes?: unknown; error?: unknown };
  if (!response.ok || typeof answer.id !== 'string' || answer.bytes !== blob.size) {
    const why = typeof answer.error === 'string' ? answer.error : 'unexpected answer';
    throw new BaskError(
      'ERR_CONNECTION',
      `The scheduler did not take an upload (${response.status}: ${why})`,
    );
  }
  return new UploadedBytes(answer.id, blob.size);
}

/**
 * The parts (and their owners) that may go on connection generation `now`: those without
 * uploads (-1 in `uploadedIn`) or with uploads it took. The others' owners reject with
 * ERR_CONNECTION, as a submission in flight when a connection drops does.
 */
export function dropStale<P>(
  parts: P[],
  owners: QueuedSubmit[],
  uploadedIn: readonly number[],
  now: number,
): [P[], QueuedSubmit[]] {
  const current = (g: number): boolean => g === -1 || g === now;
  if (uploadedIn.every(current)) return [parts, owners];
  const keep = uploadedIn.map(current);
  owners.forEach((q, i) => {
    if (keep[i] !== true)
      q.reject(
        new BaskError(
          'ERR_CONNECTION',
          'The connection to the scheduler was renewed while this submission was being prepared: submit it again',
        ),
      );
  });
  return [parts.filter((_, i) => keep[i]), owners.filter((_, i) => keep[i])];
}
