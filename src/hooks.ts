/**
 * Hooks: the four events every scheduler reports (Dask's callbacks), and the registry that
 * diagnostics subscribe to. The core never imports a view; views implement `Callbacks`.
 *
 * Timestamps are milliseconds since the epoch with sub-millisecond precision
 * (`performance.timeOrigin + performance.now()`), so that times taken in different workers
 * line up on one axis.
 */

/** Sent once when a computation starts. */
export interface StartEvent {
  /** The scheduler's name: 'sync', 'threads', 'distributed', ... */
  readonly scheduler: string;
  /** How many tasks the computation will run (after culling and fusion). */
  readonly ntasks: number;
  /** The keys requested. */
  readonly keys: readonly string[];
  readonly time: number;
}

/** Sent when a task is handed to a worker (sync: right before it runs). */
export interface TaskStartEvent {
  readonly key: string;
  readonly worker: string;
  readonly time: number;
}

/** Sent when a task finished or failed. */
export interface TaskEndEvent {
  readonly key: string;
  readonly worker: string;
  /** When it started and ended running on its worker (epoch ms). */
  readonly start: number;
  readonly end: number;
  /** end - start, in milliseconds. */
  readonly duration: number;
  /** The error, when the task failed. */
  readonly error?: unknown;
}

/** Sent once when a computation ends, successfully or not. */
export interface FinishEvent {
  readonly scheduler: string;
  readonly time: number;
  /** Wall time of the whole computation in milliseconds. */
  readonly elapsed: number;
  readonly error?: unknown;
}

/** A diagnostics consumer: any subset of the four hooks. */
export interface Callbacks {
  start?(event: StartEvent): void;
  taskStart?(event: TaskStartEvent): void;
  taskEnd?(event: TaskEndEvent): void;
  finish?(event: FinishEvent): void;
}

const active = new Set<Callbacks>();

/**
 * Registers callbacks for every computation until disposed:
 * `using _ = registerCallbacks(new ProgressBar())`.
 */
export function registerCallbacks(callbacks: Callbacks): Disposable & { unregister(): void } {
  active.add(callbacks);
  const unregister = (): void => {
    active.delete(callbacks);
  };
  return { unregister, [Symbol.dispose]: unregister };
}

/** The callbacks a computation should call: the registered ones plus per-call ones. */
export function collectCallbacks(extra: readonly Callbacks[] | undefined): Callbacks[] {
  // A consumer both registered and passed to the call hears each event once.
  return extra === undefined || extra.length === 0
    ? [...active]
    : [...new Set([...active, ...extra])];
}

/** Current time in epoch milliseconds, sub-millisecond precision. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** Calls one hook on every consumer; a consumer that throws does not stop the computation. */
export function emit<K extends keyof Callbacks>(
  consumers: readonly Callbacks[],
  hook: K,
  event: Parameters<NonNullable<Callbacks[K]>>[0],
): void {
  for (const c of consumers) {
    const fn = c[hook] as ((e: typeof event) => void) | undefined;
    if (fn === undefined) continue;
    try {
      fn.call(c, event);
    } catch (error) {
      console.error(`bask: a '${hook}' callback threw`, error);
    }
  }
}
