/**
 * `ResourceProfiler` (Dask's `dask.diagnostics.ResourceProfiler`): samples memory and CPU of
 * this process every `dt` milliseconds while a computation runs.
 *
 * Sources: Node's `process.memoryUsage()` (rss and heapUsed) and `process.cpuUsage()` (CPU as
 * a percentage of one core since the previous sample); Chromium's non-standard
 * `performance.memory.usedJSHeapSize`, without CPU. In runtimes with neither, nothing is sampled.
 *
 * Policy: JavaScript has no sampling thread, so samples come from two places: an unref'd timer
 * (it never keeps a Node process alive) that runs while the thread waits on async tasks, and
 * the `taskEnd` hook, because a synchronous run blocks timers for as long as its tasks run. A
 * sample is taken when the last one is about `dt` old, and once more at finish, so every
 * run has at least one. The timer lives exactly from the first `start` to the last `finish`
 * (or until the registration ends).
 */
import { now, type Callbacks, type FinishEvent, type StartEvent } from '../hooks.js';
import { checkNumber, Diagnostic, isDue, startTicker } from './base.js';
import {
  renderResourceChart,
  type ResourceChartOptions,
  type ResourceSample,
} from './resource-chart.js';

export type { ResourceSample, ResourceChartOptions } from './resource-chart.js';

/** Options of {@link ResourceProfiler}. */
export interface ResourceProfilerOptions {
  /** Milliseconds between samples (default 100). */
  dt?: number;
}

/** One raw reading; `cpu` is cumulative CPU time in microseconds. */
interface Reading {
  readonly memory: number;
  readonly heap?: number;
  readonly cpu?: number;
}

/** The parts of Node's `process` used here, all optional: browsers may stub `process`. */
interface ProcessLike {
  memoryUsage?(): { rss: number; heapUsed: number };
  cpuUsage?(): { user: number; system: number };
}

/** Reads memory and CPU from whatever this runtime offers; undefined when it offers nothing. */
export function readResources(): Reading | undefined {
  const proc = (globalThis as { process?: ProcessLike }).process;
  if (typeof proc?.memoryUsage === 'function') {
    const { rss, heapUsed } = proc.memoryUsage();
    if (typeof proc.cpuUsage !== 'function') return { memory: rss, heap: heapUsed };
    const { user, system } = proc.cpuUsage();
    return { memory: rss, heap: heapUsed, cpu: user + system };
  }
  const memory = (globalThis as { performance?: { memory?: { usedJSHeapSize?: unknown } } })
    .performance?.memory;
  if (typeof memory?.usedJSHeapSize === 'number')
    return { memory: memory.usedJSHeapSize, heap: memory.usedJSHeapSize };
  return undefined;
}

/** Samples memory and CPU while computations run. */
export class ResourceProfiler extends Diagnostic implements Callbacks {
  /** Milliseconds between samples. */
  readonly dt: number;
  private samples: ResourceSample[] = [];
  private running = 0;
  private startTime: number | undefined;
  private last: Reading | undefined;
  private lastTime = 0;
  private stopTicker: (() => void) | undefined;

  constructor(options: ResourceProfilerOptions = {}) {
    super();
    this.dt = checkNumber('dt', options.dt ?? 100, 1);
  }

  /** The samples of the last run, oldest first. */
  get results(): readonly ResourceSample[] {
    return this.samples;
  }

  /** Whether the sampling timer is running (between the first start and the last finish). */
  get sampling(): boolean {
    return this.stopTicker !== undefined;
  }

  /** Hook: a new run clears the samples, takes a baseline reading and starts the timer. */
  start(event: StartEvent): void {
    if (this.running++ > 0) return;
    this.samples = [];
    this.startTime = event.time;
    this.last = readResources();
    this.lastTime = now();
    this.stopTicker = startTicker(this.dt, () => this.sampleIfDue());
  }

  /** Hook: samples when due, since timers cannot fire while a synchronous run holds the thread. */
  taskEnd(): void {
    if (this.running > 0) this.sampleIfDue();
  }

  /** Hook: the last run in flight stops the timer and takes a final sample. */
  finish(_event: FinishEvent): void {
    if (this.running === 0 || --this.running > 0) return;
    this.stop();
    // Skip a sample right on top of the previous one: its CPU share would be noise.
    if (this.samples.length === 0 || now() - this.lastTime >= 1) this.sample();
  }

  /** Forgets the samples. */
  clear(): void {
    this.samples = [];
  }

  /** The samples as SVG line charts (memory, and CPU where measured). */
  visualize(options: ResourceChartOptions = {}): string {
    return renderResourceChart(this.samples, this.startTime, options);
  }

  protected override onUnregister(): void {
    this.running = 0;
    this.stop();
  }

  private sampleIfDue(): void {
    if (isDue(this.lastTime, now(), this.dt)) this.sample();
  }

  private sample(): void {
    const time = now();
    const reading = readResources();
    if (reading === undefined) return;
    const previous = this.last;
    const wall = time - this.lastTime;
    const cpu =
      reading.cpu !== undefined && previous?.cpu !== undefined && wall > 0
        ? ((reading.cpu - previous.cpu) / 1000 / wall) * 100
        : undefined;
    this.samples.push({ time, memory: reading.memory, heap: reading.heap, cpu });
    this.last = reading;
    this.lastTime = time;
  }

  private stop(): void {
    this.stopTicker?.();
    this.stopTicker = undefined;
  }
}
