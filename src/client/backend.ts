/**
 * What a `Client` needs of its backend beyond `local/backend.ts`'s operations (types only):
 * retrying failed keys, and
 * asking which keys the scheduler still knows. Cancelling (`cancel`) cascades to the dependents only this client
 * wants; the backend reports each of those as failed with ERR_CANCELLED.
 */
import type { Backend } from '../local/backend.js';

/** A client's backend: a remote scheduler or a local pool. */
export interface ClientBackend extends Backend {
  /** Runs these failed keys again, with the failed tasks they depend on. */
  retry(keys: readonly string[]): void;
  /**
   * The keys the scheduler still knows among these, each with the workers holding its data
   * (for tests of releasing and placement; a local pool gives no holders).
   */
  whoHas(keys: readonly string[]): Promise<Map<string, string[]>>;
}
