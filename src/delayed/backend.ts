/**
 * The slot through which `Delayed` members (`compute`, `persist`, `visualize`) reach the
 * schedulers and views, which live in higher layers. The package entry fills it once.
 */
import { BaskError } from '../errors.js';
import type { ComputeOptions, VisualizeOptions } from './types.js';

/** What the lazy API needs from the layers above it. */
export interface DelayedBackend {
  compute(values: readonly unknown[], options: ComputeOptions): Promise<unknown[]>;
  persist(values: readonly unknown[], options: ComputeOptions): Promise<unknown[]>;
  /** Loads the layout module on first use, hence a promise. */
  visualize(values: readonly unknown[], options: VisualizeOptions): Promise<string>;
}

let backend: DelayedBackend | undefined;

/** Installs the backend (called by the package entry). */
export function setDelayedBackend(value: DelayedBackend): void {
  backend = value;
}

/** The installed backend; throws when the package entry was not loaded. */
export function getDelayedBackend(): DelayedBackend {
  if (backend === undefined) {
    throw new BaskError(
      'ERR_UNKNOWN_SCHEDULER',
      "No schedulers installed: import from 'bask', not from its internal modules",
    );
  }
  return backend;
}
