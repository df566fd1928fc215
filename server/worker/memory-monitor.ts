/**
 * The memory monitor of a `bask worker` process (Dask's worker memory monitor): every
 * `interval` ms (50) it measures the process (RSS: every thread's heap, buffers and code) and the
 * held results in memory (the ledger), then, by the thresholds (src/worker/memory-thresholds.ts):
 * spills while the process is past spill, pauses past pause (the scheduler hears at once),
 * resumes under it, and past terminate asks its supervisor (`bask worker`, the parent that forked
 * it) to end and restart it. Without a supervisor, terminate is only logged.
 *
 * Invariants: `budget()` reflects the last sample; a verdict change is reported once.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  judgeMemory,
  managedBudget,
  thresholdBytes,
  type MemoryFractions,
  type MemorySample,
} from '../../src/worker/memory-thresholds.js';

/** What the monitor reads and whom it tells. */
export interface MemoryMonitorHooks {
  /** Bytes of held results in memory now. */
  managed(): number;
  /** Spill until held results are within `budget()`. */
  spill(): void;
  /** The pause state changed (report it to the scheduler now). */
  paused(paused: boolean): void;
  /** Past terminate: the process must be restarted. */
  terminate(rss: number): void;
  /** Reads the process's memory (default: process.memoryUsage.rss). */
  measure?: () => number;
}

/** How often a sample may collect garbage (ms). */
const COLLECT_EVERY_MS = 1000;

/** Asks the supervisor to restart this process (message on the fork's IPC channel). */
export const RESTART_REQUEST = 'bask:memory-terminate';

/** The memory monitor of one worker process. */
export class MemoryMonitor {
  private timer: ReturnType<typeof setInterval> | undefined;
  private last: MemorySample | undefined;
  /** Past pause, as last reported. */
  isPaused = false;
  private terminating = false;
  /** The highest RSS seen (bytes). */
  peak = 0;
  private collect: (() => void) | undefined;
  private resumed: { promise: Promise<void>; resolve: () => void } | undefined;
  /** When garbage was last collected by a sample (ms since the epoch). */
  private collected = 0;

  constructor(
    readonly limit: number,
    readonly fractions: MemoryFractions,
    private readonly hooks: MemoryMonitorHooks,
  ) {}

  /** Bytes of held results allowed in memory now. */
  budget(): number {
    return managedBudget(this.limit, this.fractions, this.last);
  }

  /** While paused: settles when the process resumes (see HeldDataOptions.paused). */
  whilePaused(): Promise<void> | undefined {
    if (!this.isPaused) return undefined;
    if (this.resumed === undefined) {
      let resolve: () => void = () => undefined;
      const promise = new Promise<void>((r) => (resolve = r));
      this.resumed = { promise, resolve };
    }
    return this.resumed.promise;
  }

  /** Runs the garbage collector (when the monitor runs and V8 lets it). */
  collectGarbage(): void {
    this.collect?.();
  }

  /** Whether the process asked to be restarted. */
  get isTerminating(): boolean {
    return this.terminating;
  }

  /** Samples every `interval` ms until stopped. */
  start(interval = 50): void {
    if (!(this.limit > 0) || !Number.isFinite(this.limit)) return;
    this.collect = exposeGc();
    this.timer = setInterval(() => this.sample(), interval);
    this.timer.unref();
  }

  /** One sample: spill, pause or resume, terminate. */
  sample(): void {
    const measure = this.hooks.measure ?? (() => process.memoryUsage.rss());
    const rss = measure();
    this.peak = Math.max(this.peak, rss);
    this.last = { process: rss, managed: this.hooks.managed() };
    this.hooks.spill();
    // Spilled values are garbage in this thread once written (each write asks for a collection
    // too): collect at most once a second while memory is high, as V8 would wait for heap
    // pressure, which large buffers barely make.
    const now = Date.now();
    if (rss > this.goal() && now - this.collected >= COLLECT_EVERY_MS) {
      this.collected = now;
      this.collect?.();
    }
    let verdict = judgeMemory(this.limit, this.fractions, this.last);
    if (verdict.terminate && this.collect !== undefined) {
      // Garbage is not a reason to restart: collect it and measure again.
      this.collect();
      this.last = { process: measure(), managed: this.hooks.managed() };
      verdict = judgeMemory(this.limit, this.fractions, this.last);
    }
    if (verdict.terminate && !this.terminating) {
      this.terminating = true;
      this.hooks.terminate(rss);
    }
    if (verdict.paused !== this.isPaused) {
      this.isPaused = verdict.paused;
      if (!verdict.paused) this.resume();
      this.hooks.paused(verdict.paused);
    }
  }

  /** Where spilling starts (bytes): target, or spill when target is off. */
  private goal(): number {
    const { target, spill } = this.fractions;
    return Math.min(thresholdBytes(this.limit, target), thresholdBytes(this.limit, spill));
  }

  private resume(): void {
    this.resumed?.resolve();
    this.resumed = undefined;
  }

  /** Stops sampling; what waits for a resume goes on. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.isPaused = false;
    this.resume();
  }
}

/**
 * The garbage collector as a function: `--expose-gc` set at run time, read from a fresh
 * context (threads started afterwards get `globalThis.gc` too). Undefined when V8 refuses.
 */
export function exposeGc(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? () => (gc as () => void)() : undefined;
  } catch {
    return undefined;
  }
}

/** True when this process has a supervisor to restart it (it was forked by `bask worker`). */
export function hasSupervisor(): boolean {
  return process.send !== undefined && process.connected;
}

/**
 * Asks the supervisor for a restart once `socket` has written what is queued (the heartbeat that
 * tells the scheduler why this process goes: the supervisor kills at once, and bytes still in
 * the process would be lost with it), or after `patience` ms of waiting.
 */
export async function requestRestartWhenFlushed(
  socket: { readonly bufferedAmount: number },
  request: () => void = () => process.send?.({ type: RESTART_REQUEST }),
  patience = 2_000,
): Promise<void> {
  const until = Date.now() + patience;
  while (socket.bufferedAmount > 0 && Date.now() < until)
    await new Promise((resolve) => setTimeout(resolve, 10));
  request();
}
