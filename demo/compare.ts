/**
 * Whether runs on different schedulers gave the same results: the same files, each with the
 * same day and bit-for-bit the same spread, or the same error. Pure functions, so that the
 * page's "results are identical" claim is easy to check.
 */
import { isSpreadFailure, type SpreadResult } from 'bask/seed';

/** What one file's result must match: its day and exact spread, or its error code and message. */
function fingerprint(result: SpreadResult): string {
  if (isSpreadFailure(result)) return `error:${result.error.code}:${result.error.message}`;
  // Object.is tells 0 from -0 and NaN from NaN-free values; String keeps every digit.
  const spread = Object.is(result.spread, -0) ? '-0' : String(result.spread);
  return `ok:${result.day.getTime()}:${spread}`;
}

/** The files whose results differ between two runs over the same input (empty: identical). */
export function differingFiles(a: readonly SpreadResult[], b: readonly SpreadResult[]): string[] {
  const out: string[] = [];
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined) {
      out.push((x ?? y)?.file ?? `#${i + 1}`);
    } else if (x.file !== y.file || fingerprint(x) !== fingerprint(y)) {
      out.push(x.file);
    }
  }
  return out;
}
