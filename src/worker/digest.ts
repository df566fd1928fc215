/**
 * Content hashes of results, for `verify`: SHA-256 of the value's wire encoding (the bytes a
 * frame of it carries: msgpack, self-contained, so equal values encode to equal bytes on every
 * machine). Registered types' module URLs are left out of it (the same class may load from
 * different URLs on a Node worker and in a browser tab).
 *
 * The wire codec is loaded on first use (`loadDigest`), so that pools that never verify do not
 * carry it in their worker bundles.
 */
import { CloneEncoder } from '../wire/clone.js';
import { Sha256 } from './sha256.js';

type EncodeFrame = (message: unknown) => Uint8Array[];

let encodeFrame: EncodeFrame | undefined;
let loading: Promise<void> | undefined;

/** Whether `digestValue` can run now. */
export function isDigestReady(): boolean {
  return encodeFrame !== undefined;
}

/** Loads the wire codec `digestValue` needs. */
export function loadDigest(): Promise<void> {
  loading ??= import('../wire/frame.js').then((frame) => {
    encodeFrame = frame.encodeFrame;
  });
  return loading;
}

/** The content hash of a value (64 hex digits); `loadDigest` must have resolved. */
export function digestValue(value: unknown): string {
  if (encodeFrame === undefined) throw new Error('digestValue before loadDigest resolved');
  const encoder = new CloneEncoder(false);
  encoder.withModules = false;
  const hash = new Sha256();
  for (const chunk of encodeFrame(encoder.encode(value))) hash.update(chunk);
  return hash.digest();
}
