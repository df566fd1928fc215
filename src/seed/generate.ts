/**
 * `generateStocks`: the seed data set, minute bars shaped like the Dask tutorial's
 * `data/stocks/GOOG/*.csv` (and shared/anchors/gen_stocks.py): one CSV per weekday, rows from
 * 09:30, columns `timestamp,open,high,low,close,volume`.
 *
 * Policy: deterministic. The same options give the same text on every run and in every
 * JavaScript engine, because the generator uses only exactly rounded IEEE arithmetic:
 * mulberry32 for uniforms, the sum of 12 uniforms for normals (Irwin-Hall; Box-Muller would
 * need Math.log and Math.cos, whose last bits differ between engines), and price * (1 + r)
 * for the geometric walk. Numbers differ from numpy's; the shape does not.
 *
 * Invariants per bar: open = previous close (across days too), high >= max(open, close),
 * low <= min(open, close), prices printed with 4 decimals (rounding keeps the order), integer
 * volume in [1000, 50000).
 */
import { BaskError } from '../errors.js';

/** Options of {@link generateStocks}. */
export interface GenerateStocksOptions {
  /** The first day, `YYYY-MM-DD` (default '2023-01-02'); weekend days are skipped. */
  start?: string;
  /** How many trading days (files), default 250. */
  days?: number;
  /** Bars per day from 09:30, default 390 (to 15:59); at most 870 (to 23:59). */
  minutes?: number;
  /** The PRNG seed, an integer in [0, 2^32), default 20240101. */
  seed?: number;
}

/** A CSV file held in memory: its name and its text. */
export interface CsvText {
  readonly name: string;
  readonly text: string;
}

const DAY_MS = 86_400_000;
const FIRST_MINUTE = 9 * 60 + 30;
const MAX_MINUTES = 24 * 60 - FIRST_MINUTE;
const HEADER = 'timestamp,open,high,low,close,volume';

/** Generates the seed data set: one `{ name: 'YYYY-MM-DD.csv', text }` per trading day. */
export function generateStocks(options: GenerateStocksOptions = {}): CsvText[] {
  const { days = 250, minutes = 390, seed = 20240101, start = '2023-01-02' } = options;
  checkCount('days', days, 0, Infinity);
  checkCount('minutes', minutes, 1, MAX_MINUTES);
  checkCount('seed', seed, 0, 2 ** 32 - 1);
  const random = new Random(seed);
  const clock = clockTimes(minutes);
  const files: CsvText[] = [];
  let price = 100;
  for (const date of tradingDays(parseDay(start), days)) {
    const day = generateDay(random, price, minutes);
    price = day.close[minutes - 1] as number;
    files.push({ name: `${date}.csv`, text: formatDay(date, clock, day) });
  }
  return files;
}

interface Bars {
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Int32Array;
}

function generateDay(random: Random, price: number, minutes: number): Bars {
  const bars: Bars = {
    open: new Float64Array(minutes),
    high: new Float64Array(minutes),
    low: new Float64Array(minutes),
    close: new Float64Array(minutes),
    volume: new Int32Array(minutes),
  };
  // Draw in gen_stocks.py's order: returns, high wiggles, low wiggles, volumes.
  let p = price;
  for (let i = 0; i < minutes; i++) {
    bars.open[i] = p;
    p *= 1 + random.normal(0.0008);
    bars.close[i] = p;
  }
  for (let i = 0; i < minutes; i++) {
    bars.high[i] =
      Math.max(bars.open[i] as number, bars.close[i] as number) *
      (1 + Math.abs(random.normal(0.0005)));
  }
  for (let i = 0; i < minutes; i++) {
    bars.low[i] =
      Math.min(bars.open[i] as number, bars.close[i] as number) *
      (1 - Math.abs(random.normal(0.0005)));
  }
  for (let i = 0; i < minutes; i++) bars.volume[i] = random.integer(1_000, 50_000);
  return bars;
}

function formatDay(date: string, clock: readonly string[], bars: Bars): string {
  const lines = new Array<string>(clock.length + 1);
  lines[0] = HEADER;
  for (let i = 0; i < clock.length; i++) {
    lines[i + 1] =
      `${date} ${clock[i] as string},${(bars.open[i] as number).toFixed(4)},${(bars.high[i] as number).toFixed(4)},` +
      `${(bars.low[i] as number).toFixed(4)},${(bars.close[i] as number).toFixed(4)},${bars.volume[i] as number}`;
  }
  return lines.join('\n') + '\n';
}

/** `HH:MM:SS` of each bar, from 09:30. */
function clockTimes(minutes: number): string[] {
  const out: string[] = [];
  for (let m = FIRST_MINUTE; m < FIRST_MINUTE + minutes; m++) {
    out.push(
      `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}:00`,
    );
  }
  return out;
}

/** `count` weekdays from `start` (epoch ms of a UTC midnight), as `YYYY-MM-DD`. */
function tradingDays(start: number, count: number): string[] {
  const out: string[] = [];
  for (let t = start; out.length < count; t += DAY_MS) {
    const weekday = new Date(t).getUTCDay();
    if (weekday !== 0 && weekday !== 6) out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

function parseDay(start: string): number {
  const match = typeof start === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(start) : null;
  const t =
    match === null ? NaN : Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== start) {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `generateStocks: start must be a date like '2023-01-02', got ${JSON.stringify(start)}`,
    );
  }
  return t;
}

function checkCount(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Infinity ? `>= ${min}` : `in ${min}..${max}`;
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `generateStocks: ${name} must be an integer ${range}, got ${String(value)}`,
    );
  }
}

/** mulberry32 uniforms and Irwin-Hall normals: small, fast, identical in every engine. */
class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A uniform in [0, 1) with 32 random bits. */
  uniform(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An approximately normal draw with mean 0 and standard deviation `sd` (|z| < 6). */
  normal(sd: number): number {
    // Twelve 32-bit uniforms sum exactly in a double, so every engine gets the same bits.
    let sum = -6;
    for (let i = 0; i < 12; i++) sum += this.uniform();
    return sum * sd;
  }

  /** A uniform integer in [low, high). */
  integer(low: number, high: number): number {
    return low + Math.floor(this.uniform() * (high - low));
  }
}
