/**
 * What the pool needs from a runtime (types only): spawn a worker, make a message channel,
 * count cores, and let idle workers stop holding the process open. One small file implements
 * it per runtime: `runtime-node.ts` (worker_threads) and `runtime-web.ts` (Web Workers).
 */
import type { Endpoint } from 'comlink';
import type { PortLike } from '../worker/peer.js';

/** A port on the main side that can be transferred and unref'd where the runtime allows. */
export interface MainPort extends PortLike {
  unref?(): void;
  ref?(): void;
}

/** A started worker. */
export interface SpawnedWorker {
  /** The comlink endpoint of the worker (control plane). */
  readonly endpoint: Endpoint;
  /** Stops it now. */
  terminate(): void;
  /** Called once when it exits or crashes, with the error when there is one. */
  onExit(listener: (error: Error | undefined) => void): void;
  /** Holds the process open (busy) or not (idle). No-op in browsers. */
  setActive(active: boolean): void;
}

/**
 * A worker an app made for the pool (see `PoolOptions.worker`): a browser `Worker` or a Node
 * `worker_threads` Worker whose entry calls `startWorker()` from `bask/worker`.
 */
export interface PoolWorker {
  terminate(): unknown;
}

/** Makes one pool worker; `name` is the worker's id in the pool (`threads-0`, ...). */
export type PoolWorkerFactory = (name: string) => PoolWorker;

/** A runtime the pool can run on. */
export interface PoolRuntime {
  /** 'node' or 'browser'. */
  readonly kind: 'node' | 'browser';
  /** The scheduler name of pools on this runtime (default 'threads'; worker processes: 'processes'). */
  readonly schedulerName?: 'threads' | 'processes';
  /** Default worker count: the machine's cores. */
  cores(): number;
  /** Starts a worker: bask's own, or the one `create` makes (an app's worker entry). */
  spawn(name: string, create?: PoolWorkerFactory): SpawnedWorker;
  channel(): { port1: MainPort; port2: MainPort };
}
