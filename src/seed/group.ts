/**
 * The seed workload over a group of files read as one buffer: what `runSpreads` hands any
 * scheduler for the Files it read ahead together (wire/blob-bytes.ts). One task per group
 * instead of one per file: the page moves the group's buffer to a pool's worker as it was
 * read (no buffer, copy, task or result message per file) and settles one result per group.
 *
 * Policy: each file is parsed as `readPrices` parses bytes in memory; a file that fails gives
 * its error (serialized, so that its code, message and stack cross threads), the others go on.
 */
import { BaskError, serializeError, type SerializedError } from '../errors.js';
import { parsePrices, spreadAndDay } from './prices.js';
import type { SpreadsOptions } from './spreads.js';

/** One file's outcome in a group: `[spread, day]`, or the error it raised. */
export type GroupOutcome = [number, Date] | { readonly error: SerializedError };

/**
 * `spreadAndDay(readPrices(file))` for each file of a group: file k is
 * `bytes.subarray(starts[k], starts[k + 1])`, named `names[k]` in errors.
 */
export function spreadsOfGroup(
  bytes: Uint8Array,
  starts: readonly number[],
  names: readonly string[],
  options: SpreadsOptions = {},
): GroupOutcome[] {
  if (names.length !== starts.length - 1 || (starts.at(-1) ?? 0) > bytes.byteLength) {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `spreadsOfGroup: ${names.length} names and ${starts.length} starts over ${bytes.byteLength} bytes; give one name per file and one start per file plus its end`,
    );
  }
  const out: GroupOutcome[] = [];
  for (let k = 0; k < names.length; k++) {
    const file = bytes.subarray(starts[k], starts[k + 1]);
    try {
      out.push(spreadAndDay(parsePrices(file, { ...options, name: names[k] as string })));
    } catch (error) {
      out.push({ error: serializeError(error) });
    }
  }
  return out;
}
