/**
 * What a `Client` needs of its backend beyond `local/backend.ts`'s operations (types only):
 * retrying failed keys, asking which keys the scheduler still knows, and hearing that a
 * remote scheduler went away (reconnecting). Cancelling (`cancel`) cascades to the dependents only this client
 * wants; the backend reports each of those as failed with ERR_CANCELLED.
 */
import type { Backend, BackendEvents } from '../local/backend.js';
import type { ConnectionStatus } from './connection.js';

/** What a client's backend tells it, beyond `BackendEvents`. */
export interface ClientBackendEvents extends BackendEvents {
  /**
   * The scheduler went away and the backend is reconnecting: whatever it held for this client
   * is gone (a restarted scheduler knows nothing). `closed` follows if the retries run out.
   */
  disconnected?(error: Error): void;
}

/** A client's backend: a remote scheduler or a local pool. */
export interface ClientBackend extends Backend {
  /** Runs these failed keys again, with the failed tasks they depend on. */
  retry(keys: readonly string[]): void;
  /**
   * The keys the scheduler still knows among these, each with the workers holding its data
   * (for tests of releasing and placement; a local pool gives no holders).
   */
  whoHas(keys: readonly string[]): Promise<Map<string, string[]>>;
  /** A remote backend's connection state (a local one is connected until closed). */
  readonly connectionStatus?: ConnectionStatus;
}
