/**
 * A fast, deterministic, non-cryptographic 64-bit string hash (two independent 32-bit FNV-1a
 * style lanes, mixed), rendered as 16 hex digits. Used for keys and function-source caches:
 * the same input gives the same hash in every runtime and every run.
 */

/** Hashes a string to 16 hex digits. */
export function hashString(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x9747b28c;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  h1 = fmix(h1 ^ text.length);
  h2 = fmix(h2 ^ h1);
  h1 = fmix(h1 ^ h2);
  return hex8(h1) + hex8(h2);
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

function hex8(h: number): string {
  return (h >>> 0).toString(16).padStart(8, '0');
}
