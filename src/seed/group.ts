/**
 * The seed workload over a group of files in one task: what `runSpreads` hands any scheduler
 * for the Files it read ahead together as one buffer (wire/blob-bytes.ts), and for paths and
 * URLs, which the task reads where it runs. One task per group instead of one per file: the
 * page moves the group's buffer to a pool's worker as it was read (no buffer, copy, task or
 * result message per file), the caller builds, sends and settles one task per group.
 *
 * Policy: each file is parsed as `readPrices` parses it; a file that fails gives its error
 * (serialized, so that its code, message and stack cross threads), the others go on.
 */
import { BaskError, serializeError, type SerializedError } from '../errors.js';
import type { CsvSource } from '../frame/read.js';
import { parsePrices, readPrices, spreadAndDay } from './prices.js';
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

/**
 * `spreadAndDay(readPrices(source))` for each of a group of sources (paths, URLs), read where
 * the task runs; `names[k]`, when given, names source k in errors. URLs are fetched at once
 * (their waits overlap); a path is read and parsed in one go before the next (`readPrices`
 * reads it synchronously, into a buffer the next read reuses).
 */
export async function spreadsOfSources(
  sources: readonly CsvSource[],
  names: readonly (string | undefined)[],
  options: SpreadsOptions = {},
): Promise<GroupOutcome[]> {
  if (names.length !== sources.length) {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `spreadsOfSources: ${names.length} names for ${sources.length} sources; give one name (or undefined) per source`,
    );
  }
  return Promise.all(
    sources.map(async (source, k): Promise<GroupOutcome> => {
      const name = names[k];
      try {
        return spreadAndDay(
          await readPrices(source, name === undefined ? options : { ...options, name }),
        );
      } catch (error) {
        return { error: serializeError(error) };
      }
    }),
  );
}
