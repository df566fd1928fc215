/**
 * Two costs of this machine that bound bask's hot paths (bench/RESULTS.md, sixth round),
 * measured side by side, alternated, medians of `--reps`:
 *
 * - bytes into fresh memory against the same bytes into memory reused: `--mib` MiB copied in
 *   4 MiB buffers, each new (its pages touched for the first time) or one buffer again and
 *   again. A relay that gives each message a buffer of its own pays the first.
 * - a `Map` of `--keys` string keys: filled fresh (it rehashes as it grows), updated in place,
 *   read, emptied. A run that indexes its tasks by key in fresh maps pays the first and last.
 *
 *   npm run build && node dist/bench/vm-costs.js [--mib 48] [--keys 100000] [--reps 7]
 */
import { arg, record, save, summarize } from './lib.js';

const MIB = Number(arg('mib', '48'));
const KEYS = Number(arg('keys', '100000'));
const REPS = Number(arg('reps', '7'));
const rows: object[] = [];

const CHUNK = 4 << 20;
const source = new Uint8Array(CHUNK).fill(7);
const count = Math.max(1, Math.round((MIB << 20) / CHUNK));
const reused = new Uint8Array(CHUNK);

/** Copies into new buffers; keeps them until the end so that none is recycled meanwhile. */
function intoFresh(): number {
  const t0 = performance.now();
  const kept: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const b = new Uint8Array(CHUNK);
    b.set(source);
    kept.push(b);
  }
  const ms = performance.now() - t0;
  return kept.length > 0 ? ms : NaN;
}

function intoReused(): number {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) reused.set(source);
  return performance.now() - t0;
}

const keys = Array.from({ length: KEYS }, (_, i) => `inc-${i}`);
const existing = new Map(keys.map((k) => [k, 0]));

function mapCosts(): { fill: number; update: number; read: number; empty: number } {
  let t = performance.now();
  const fresh = new Map<string, number>();
  for (let i = 0; i < keys.length; i++) fresh.set(keys[i] as string, i);
  const fill = performance.now() - t;
  t = performance.now();
  for (let i = 0; i < keys.length; i++) existing.set(keys[i] as string, i);
  const update = performance.now() - t;
  t = performance.now();
  let sum = 0;
  for (const k of keys) sum += existing.get(k) ?? 0;
  const read = performance.now() - t;
  t = performance.now();
  for (const k of keys) fresh.delete(k);
  const empty = performance.now() - t;
  return sum >= 0 ? { fill, update, read, empty } : { fill, update, read: NaN, empty };
}

const fresh: number[] = [];
const again: number[] = [];
const maps = { fill: [] as number[], update: [] as number[], read: [] as number[] };
const empty: number[] = [];
for (let r = 0; r < REPS; r++) {
  fresh.push(intoFresh());
  again.push(intoReused());
  const m = mapCosts();
  maps.fill.push(m.fill);
  maps.update.push(m.update);
  maps.read.push(m.read);
  empty.push(m.empty);
}
const med = (xs: number[]): number => Math.round(summarize(xs).median * 10) / 10;
record(rows, {
  kind: 'copy',
  mib: count * 4,
  fresh_ms: med(fresh),
  reused_ms: med(again),
  fresh_ms_per_mib: Math.round((med(fresh) / (count * 4)) * 100) / 100,
  ratio: Math.round((med(fresh) / med(again)) * 10) / 10,
});
record(rows, {
  kind: 'map',
  keys: KEYS,
  fill_fresh_ms: med(maps.fill),
  update_ms: med(maps.update),
  read_ms: med(maps.read),
  empty_ms: med(empty),
  fill_ns_per_key: Math.round((med(maps.fill) * 1e6) / KEYS),
});
save('vm-costs', rows);
