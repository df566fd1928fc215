/**
 * Configuration: global settings with scoped overrides, and the choice of scheduler.
 *
 * `config.set({ scheduler: 'sync' })` applies until the returned Disposable is disposed
 * (`using _ = config.set(...)`); `config.with(options, fn)` applies around an async function.
 * Like `dask.config.set`, a setting is global while it applies: concurrent `with` scopes that
 * overlap in time see each other's settings.
 *
 * Scheduler precedence (Dask's): the call's `scheduler` option, then config, then the default
 * `Client`, then the worker pool.
 */
import { BaskError } from './errors.js';
import { isScheduler, type Scheduler } from './scheduler.js';

/** Scheduler names, as Dask spells them. */
export type SchedulerName =
  'sync' | 'synchronous' | 'single-threaded' | 'threads' | 'processes' | 'distributed';

/** A scheduler by name, or a scheduler object (a `Client`). */
export type SchedulerSpec = SchedulerName | Scheduler;

/** The settings. */
export interface ConfigOptions {
  /** The scheduler for `compute`/`get` when the call names none. */
  scheduler?: SchedulerSpec | undefined;
  /** Worker count of the pool (default: the machine's cores). */
  numWorkers?: number | undefined;
  /** Fuse linear chains before running (default: on for pool and cluster, off for sync). */
  fuse?: boolean | undefined;
  /** Default `pure` of `delayed` calls (default false: every call gets a unique key). */
  delayedPure?: boolean | undefined;
}

const KNOWN = new Set<keyof ConfigOptions>(['scheduler', 'numWorkers', 'fuse', 'delayedPure']);
const NAMES = new Set<string>([
  'sync',
  'synchronous',
  'single-threaded',
  'threads',
  'processes',
  'distributed',
]);

let current: ConfigOptions = {};

function validate(options: ConfigOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new BaskError('ERR_INVALID_ARGUMENT', `config.set(options): options must be an object`);
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key as keyof ConfigOptions)) {
      throw new BaskError(
        'ERR_INVALID_ARGUMENT',
        `Unknown config option '${key}'; known options: ${[...KNOWN].join(', ')}`,
      );
    }
  }
  if (options.scheduler !== undefined) checkSchedulerSpec(options.scheduler);
  if (options.numWorkers !== undefined) checkNumWorkers(options.numWorkers, 'numWorkers');
}

/** Throws ERR_UNKNOWN_SCHEDULER unless `spec` names a scheduler or is one. */
export function checkSchedulerSpec(spec: unknown): asserts spec is SchedulerSpec {
  if (isScheduler(spec) || (typeof spec === 'string' && NAMES.has(spec))) return;
  throw new BaskError(
    'ERR_UNKNOWN_SCHEDULER',
    `Unknown scheduler ${typeof spec === 'string' ? `'${spec}'` : typeof spec}; use one of ` +
      `'sync', 'threads', 'processes', 'distributed' or a Client`,
  );
}

/** Throws ERR_INVALID_ARGUMENT unless `n` is a positive integer. */
export function checkNumWorkers(n: unknown, name: string): asserts n is number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `${name} must be a positive integer, got ${String(n)}`,
    );
  }
}

/** Global configuration with scoped overrides. */
export const config = {
  /** Applies `options` until the returned Disposable is disposed. */
  set(options: ConfigOptions): Disposable & { restore(): void } {
    validate(options);
    const previous = current;
    current = { ...current, ...options };
    let restored = false;
    const restore = (): void => {
      if (restored) return;
      restored = true;
      current = previous;
    };
    return { restore, [Symbol.dispose]: restore };
  },

  /** Applies `options` while `fn` runs (sync or async), then restores. */
  async with<T>(options: ConfigOptions, fn: () => T | Promise<T>): Promise<T> {
    const scope = config.set(options);
    try {
      return await fn();
    } finally {
      scope.restore();
    }
  },

  /** The current value of one setting. */
  get<K extends keyof ConfigOptions>(name: K): ConfigOptions[K] {
    return current[name];
  },

  /** A copy of all current settings. */
  snapshot(): Readonly<ConfigOptions> {
    return { ...current };
  },
};

// ---- scheduler resolution ------------------------------------------------------------------

type SchedulerFactory = (name: SchedulerName) => Scheduler;

let factory: SchedulerFactory | undefined;
const defaultClients: Scheduler[] = [];

/** Installs the function that builds named schedulers (done once by the package entry). */
export function setSchedulerFactory(make: SchedulerFactory): void {
  factory = make;
}

/** Makes `client` the default scheduler until `unsetDefaultClient` (the newest wins). */
export function setDefaultClient(client: Scheduler): void {
  defaultClients.push(client);
}

/** Stops `client` being a default scheduler (on close). */
export function unsetDefaultClient(client: Scheduler): void {
  const i = defaultClients.lastIndexOf(client);
  if (i >= 0) defaultClients.splice(i, 1);
}

/** The current default client, if any. */
export function getDefaultClient(): Scheduler | undefined {
  return defaultClients[defaultClients.length - 1];
}

/** Picks the scheduler for a call: option, then config, then default client, then the pool. */
export function resolveScheduler(option: SchedulerSpec | undefined): Scheduler {
  const spec = option ?? current.scheduler ?? getDefaultClient() ?? 'threads';
  checkSchedulerSpec(spec);
  if (isScheduler(spec)) return spec;
  if (spec === 'distributed') {
    const client = getDefaultClient();
    if (client === undefined) {
      throw new BaskError(
        'ERR_UNKNOWN_SCHEDULER',
        "scheduler 'distributed' needs a client: await Client.connect(address) first",
      );
    }
    return client;
  }
  if (factory === undefined) {
    throw new BaskError(
      'ERR_UNKNOWN_SCHEDULER',
      'No schedulers installed: import from the bask package entry',
    );
  }
  return factory(spec);
}
