/**
 * The memory thresholds of a worker (Dask's `distributed.worker.memory.{target,spill,pause,
 * terminate}`), as fractions of its memory limit, and what a memory sample calls for. Shared by
 * `bask worker` processes and volunteer tabs; pure functions, no I/O.
 *
 * Policy, as Dask's worker:
 * - target (0.6): held results are spilled, least recently used first, once the worker's memory
 *   (held results plus what else the process uses, as last measured) passes target × limit;
 * - spill (0.7): past spill × limit of measured process memory, spill until back at target;
 * - pause (0.8): past pause × limit the worker takes no new tasks (running ones finish), until
 *   its memory is back under pause × limit;
 * - terminate (0.95): past it, the worker's supervisor ends and restarts the process.
 * Each may be `false` (that step is off). A limit of 0 or Infinity turns all of them off.
 */
import { BaskError } from '../errors.js';

/** A threshold as a fraction of the memory limit in (0, 1], or false (off). */
export type MemoryFraction = number | false;

/** The four thresholds. */
export interface MemoryFractions {
  readonly target: MemoryFraction;
  readonly spill: MemoryFraction;
  readonly pause: MemoryFraction;
  readonly terminate: MemoryFraction;
}

/** Dask's defaults. */
export const DEFAULT_MEMORY_FRACTIONS: MemoryFractions = {
  target: 0.6,
  spill: 0.7,
  pause: 0.8,
  terminate: 0.95,
};

/** The threshold names, in order. */
export const MEMORY_THRESHOLDS = ['target', 'spill', 'pause', 'terminate'] as const;

/**
 * The thresholds with `given` over the defaults; ERR_INVALID_ARGUMENT naming a value that is
 * neither a number in (0, 1] nor false (`where` prefixes the message: the option's owner).
 */
export function resolveMemoryFractions(
  given: Partial<Record<keyof MemoryFractions, unknown>> = {},
  where = 'memory',
): MemoryFractions {
  const out: Record<string, MemoryFraction> = { ...DEFAULT_MEMORY_FRACTIONS };
  for (const name of MEMORY_THRESHOLDS) {
    const value = given[name];
    if (value === undefined) continue;
    if (value !== false && !isFraction(value))
      throw new BaskError(
        'ERR_INVALID_ARGUMENT',
        `${where}: memory ${name} must be a fraction of the memory limit in (0, 1] or false, got ${JSON.stringify(value) ?? typeof value}`,
      );
    out[name] = value;
  }
  return out as unknown as MemoryFractions;
}

/** A threshold from command-line text: `0.7`, `70%`, or `false`/`off` (ERR_INVALID_ARGUMENT otherwise). */
export function parseMemoryFraction(option: string, text: string): MemoryFraction {
  const t = text.trim().toLowerCase();
  if (t === 'false' || t === 'off' || t === 'no') return false;
  const n = t.endsWith('%') ? Number(t.slice(0, -1)) / 100 : Number(t);
  if (t === '' || !isFraction(n))
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `--${option}: expected a fraction of --memory-limit in (0, 1] (e.g. 0.7 or 70%) or false, got '${text}'`,
    );
  return n;
}

function isFraction(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= 1;
}

/** The bytes a threshold stands for (Infinity when it is off or there is no limit). */
export function thresholdBytes(limit: number, fraction: MemoryFraction): number {
  if (fraction === false || !(limit > 0) || !Number.isFinite(limit)) return Infinity;
  return fraction * limit;
}

/** One measure of a worker's memory (bytes). */
export interface MemorySample {
  /** The process's memory (RSS); undefined where it cannot be measured (browser tabs). */
  readonly process?: number;
  /** Held results in memory (estimated sizes). */
  readonly managed: number;
}

/**
 * Bytes of held results the worker may keep in memory: target × limit, less what the process
 * used besides held results at the last sample; once process memory passes spill × limit, less
 * than that until it is back at target. Infinity when neither target nor spill is on.
 */
export function managedBudget(
  limit: number,
  fractions: MemoryFractions,
  sample?: MemorySample,
): number {
  const target = thresholdBytes(limit, fractions.target);
  const spill = thresholdBytes(limit, fractions.spill);
  const goal = Math.min(target, spill);
  if (goal === Infinity) return Infinity;
  if (sample?.process === undefined) return target;
  const other = Math.max(0, sample.process - sample.managed);
  let budget = target === Infinity ? Infinity : Math.max(0, target - other);
  // Past spill: whatever process memory is over the goal comes out of held results.
  if (sample.process > spill) budget = Math.min(budget, sample.managed - (sample.process - goal));
  return Math.max(0, budget);
}

/** What a worker's memory calls for now. */
export interface MemoryVerdict {
  /** Take no new tasks (past pause; kept until memory is back under it). */
  readonly paused: boolean;
  /** End and restart the process (past terminate). */
  readonly terminate: boolean;
}

/** Whether a worker with `sample` is paused or must be restarted. */
export function judgeMemory(
  limit: number,
  fractions: MemoryFractions,
  sample: MemorySample,
): MemoryVerdict {
  const used = sample.process ?? sample.managed;
  return {
    paused: used > thresholdBytes(limit, fractions.pause),
    terminate: used > thresholdBytes(limit, fractions.terminate),
  };
}
