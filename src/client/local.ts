/**
 * The in-process backend of `Client.local()`: a session on a worker pool. The pool's engine
 * is the scheduler; workers are this process's threads. Same operations as a remote cluster.
 *
 * Fire and forget is a second session (the keeper) that wants the kept keys until they
 * finish, then lets them go.
 */
import { BaskError } from '../errors.js';
import type { GraphBatch } from '../graph/prepare.js';
import type { Pool } from '../local/pool.js';
import type { BackendEvents, ClusterInfo, SubmitOptions } from '../local/backend.js';
import type { ClientBackend } from './backend.js';

/** A client session on a local pool. */
export class LocalBackend implements ClientBackend {
  readonly kind = 'local';
  private closed = false;

  private constructor(
    private readonly pool: Pool,
    private readonly client: string,
    private readonly keeper: string,
    private readonly ownsPool: boolean,
  ) {}

  /** Opens a session (and a keeper session) on `pool`. */
  static async open(pool: Pool, events: BackendEvents, ownsPool: boolean): Promise<LocalBackend> {
    const client = await pool.openSession(events);
    const holder: { backend?: LocalBackend } = {};
    const keeper = await pool.openSession({
      report: (r) => {
        if (r.state !== 'lost') holder.backend?.releaseKept([r.key]);
      },
      closed: () => undefined,
    });
    const backend = new LocalBackend(pool, client, keeper, ownsPool);
    holder.backend = backend;
    return backend;
  }

  /** The pool behind this backend. */
  get localPool(): Pool {
    return this.pool;
  }

  submit(batch: GraphBatch, wanted: readonly string[], options: SubmitOptions = {}): Promise<void> {
    this.check();
    return this.pool.sessionEvent({
      type: 'graph-submitted',
      client: this.client,
      batch,
      wanted,
      ...(options.perKey !== undefined ? { options: options.perKey } : {}),
      ...(options.defaults !== undefined ? { defaults: options.defaults } : {}),
    });
  }

  release(keys: readonly string[]): void {
    if (this.closed || keys.length === 0) return;
    void this.pool.sessionEvent({ type: 'keys-released', client: this.client, keys });
  }

  cancel(keys: readonly string[]): void {
    if (this.closed || keys.length === 0) return;
    void this.pool.sessionEvent({ type: 'keys-cancelled', client: this.client, keys });
    this.releaseKept(keys);
  }

  whoHas(keys: readonly string[]): Promise<Map<string, string[]>> {
    return Promise.resolve(this.pool.whoHas(keys));
  }

  retry(keys: readonly string[]): void {
    if (this.closed || keys.length === 0) return;
    void this.pool.sessionEvent({ type: 'keys-retried', client: this.client, keys });
  }

  keep(keys: readonly string[]): void {
    if (this.closed || keys.length === 0) return;
    const batch: GraphBatch = {
      keys: [],
      specs: [],
      depStart: new Int32Array(1),
      depList: new Int32Array(0),
      external: [],
    };
    void this.pool.sessionEvent({
      type: 'graph-submitted',
      client: this.keeper,
      batch,
      wanted: keys,
    });
  }

  private releaseKept(keys: readonly string[]): void {
    if (this.closed) return;
    void this.pool.sessionEvent({ type: 'keys-released', client: this.keeper, keys });
  }

  gather(keys: readonly string[]): Promise<Map<string, unknown>> {
    this.check();
    return this.pool.gatherKeys(keys);
  }

  scatter(
    keys: readonly string[],
    values: readonly unknown[],
    options: { workers?: readonly string[]; broadcast?: boolean } = {},
  ): Promise<void> {
    try {
      this.check();
      return this.pool.scatterKeys(this.client, keys, values, options);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  info(): Promise<ClusterInfo> {
    return Promise.resolve(this.pool.info());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pool.closeSession(this.client);
    this.pool.closeSession(this.keeper);
    if (this.ownsPool) await this.pool.close();
  }

  private check(): void {
    if (this.closed) throw new BaskError('ERR_CLIENT_CLOSED', 'This client was closed');
  }
}
