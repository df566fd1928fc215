/**
 * `sizeof`: a cheap estimate of a value's size in bytes, for placement (how costly is moving
 * it) and the dashboard (how much a worker holds). Bounded work: large arrays and objects are
 * sampled, so estimating a 1M-element array costs the same as a 100-element one.
 */

const SAMPLE = 32;
const MAX_DEPTH = 4;

/** Estimated bytes held by a value. */
export function sizeof(value: unknown, depth = 0): number {
  switch (typeof value) {
    case 'number':
    case 'bigint':
      return 8;
    case 'boolean':
    case 'undefined':
      return 4;
    case 'string':
      return 16 + value.length * 2;
    case 'function':
    case 'symbol':
      return 32;
  }
  if (value === null) return 4;
  if (ArrayBuffer.isView(value)) return value.byteLength + 64;
  if (value instanceof ArrayBuffer) return value.byteLength + 32;
  if (depth >= MAX_DEPTH) return 64;
  if (Array.isArray(value)) return 32 + sampled(value, value.length, depth);
  if (value instanceof Map)
    return 64 + sampled([...value.values()].slice(0, SAMPLE), value.size, depth) * 2;
  if (value instanceof Set) return 64 + sampled([...value].slice(0, SAMPLE), value.size, depth);
  if (value instanceof Date) return 32;
  const keys = Object.keys(value as object);
  const values = keys.slice(0, SAMPLE).map((k) => (value as Record<string, unknown>)[k]);
  return 32 + keys.length * 16 + sampled(values, keys.length, depth);
}

function sampled(items: readonly unknown[], total: number, depth: number): number {
  const n = Math.min(items.length, SAMPLE);
  if (n === 0) return 0;
  let bytes = 0;
  for (let i = 0; i < n; i++) bytes += sizeof(items[Math.floor((i * items.length) / n)], depth + 1);
  return Math.round((bytes / n) * total);
}
