/**
 * The bytes of the Files and Blobs a run's tasks carry, for a pool of worker processes: frames
 * over a pipe cannot carry a Blob, so its bytes go instead. A module of its own, loaded by the
 * first such run: browsers (and pools of threads) never need it.
 */
import { readBlobs } from '../wire/blob-bytes.js';
import { findBlobs } from '../wire/clone.js';

/** Each Blob in `specs` with its bytes; undefined when there is none. */
export async function readTaskBlobs(
  specs: readonly unknown[],
): Promise<Map<Blob, Uint8Array> | undefined> {
  const blobs = findBlobs(specs);
  return blobs.size > 0 ? readBlobs(blobs) : undefined;
}
