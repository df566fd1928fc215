/**
 * Bytes a client uploaded to its scheduler over HTTP before the message that uses them.
 *
 * Why: a page that sends a File over its WebSocket reads the file into its own memory, copies
 * it into the socket and the browser masks every byte; a `fetch` POST of the File hands the
 * browser a reference and its network service streams the file from disk (2,000 files, 45 MB,
 * in Chromium: 0.9 s of the browser's CPU against 1.3 s; bench/upload-paths.ts). So
 * a cluster client uploads the Files and Blobs of a submission first (client/uploads.ts), and
 * its frame carries, in place of each one's bytes, an `UploadedBytes`: the id the scheduler gave
 * the upload and its length. The scheduler puts the uploaded bytes back in their place as it
 * decodes the frame (frame.ts `DecodeOptions.uploads`), so workers receive the bytes as if they
 * had come in the frame.
 */

/** A stand-in for bytes the scheduler already has: upload `id`, `byteLength` bytes long. */
export class UploadedBytes {
  constructor(
    readonly id: string,
    readonly byteLength: number,
  ) {}
}

/**
 * Finds an upload's bytes at the receiver (the scheduler, for one client's connection): the
 * pieces it came in, taken once; throws ERR_PROTOCOL for an id it does not have or a length
 * that is not the upload's.
 */
export type UploadResolver = (id: string, byteLength: number) => readonly Uint8Array[];
