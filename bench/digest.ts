/**
 * Issue 17: the cost of checking fetched data against its verified hash. A receiver hashes
 * each verified value it fetched from another host once (`CheckedInputs`: SHA-256 of the
 * value's wire encoding, the same digest replicas report); this measures that digest on
 * typical values: typed arrays from 1 KB to 16 MB and an array of small records.
 *
 *   npm run build && node dist/bench/digest.js [--reps 5]
 */
import { digestValue, loadDigest } from '../src/worker/digest.js';
import { arg, record, save, summarize } from './lib.js';

const REPS = Number(arg('reps', '5'));
const rows: object[] = [];
await loadDigest();

const values: [string, unknown, number][] = [];
for (const kb of [1, 64, 1024, 16 * 1024]) {
  const a = new Float64Array((kb * 1024) / 8).map((_, i) => i * 0.5);
  values.push([`Float64Array ${kb} KB`, a, a.byteLength]);
}
const records = Array.from({ length: 10_000 }, (_, i) => ({
  day: i,
  spread: i / 3,
  name: `f${i}`,
}));
values.push(['10,000 small records', records, 10_000 * 40]);

for (const [what, value, bytes] of values) {
  digestValue(value); // warm-up
  const times: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now();
    digestValue(value);
    times.push((performance.now() - t0) / 1000);
  }
  const s = summarize(times);
  record(rows, {
    what,
    bytes,
    median_ms: Math.round(s.median * 1e5) / 100,
    mb_per_s: Math.round(bytes / 1e6 / s.median),
  });
}
save('digest', rows, { reps: REPS });
