/**
 * Moving data between a client and its cluster: `gather` (futures in a shape to their values,
 * in one request for all the keys the client holds) and `scatter`'s keys and shapes.
 *
 * Scatter keys are `<type>-<content token>` (Dask's `typename-tokenize`): equal data gets an
 * equal key, and is placed once. Blobs are known by name and size, not content, so they (and
 * everything with `hash: false`) get unique keys.
 */
import { BaskError } from '../errors.js';
import { isPlainObject } from '../graph/spec.js';
import { tokenize, uniqueToken } from '../graph/tokenize.js';
import { Future, type KeyState } from './future.js';
import type { ScatterOptions } from './options.js';
import type { ClientCore } from './send.js';
import { collectFutures, substituteFutures } from './shapes.js';
import { checkTaskOptions, taskOptionsOf } from './submission.js';

/** Options of `client.gather`. */
export interface GatherOptions {
  /**
   * `'raise'` (default): reject with the first failure (a task's error, or ERR_CANCELLED).
   * `'skip'`: leave failed and cancelled futures out of arrays and objects.
   */
  errors?: 'raise' | 'skip';
}

/** What gathering needs of a client: its futures' data in one request. */
export interface DataSource {
  fetchMany(keys: readonly string[]): Promise<Map<string, unknown>>;
}

/** Waits for the futures in `values` and replaces them by their values. */
export async function gatherFutures(
  client: DataSource,
  values: unknown,
  options: GatherOptions,
): Promise<unknown> {
  const errors = options.errors ?? 'raise';
  if (errors !== 'raise' && errors !== 'skip')
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `gather(values, { errors }): errors must be 'raise' or 'skip', got ${String(errors)}`,
    );
  const futures = [...new Map(collectFutures(values, false).map((f) => [f.keyState, f])).values()];
  await Promise.all(
    futures.map(async (f) => {
      await f.keyState.settled();
      // Raising stops at the first failure, like Dask's gather.
      const error = errors === 'raise' && isFailed(f) ? await f.exception() : undefined;
      if (error !== undefined) throw error;
    }),
  );
  // A future checked as finished above may have failed since (its data lost with a worker,
  // then its recomputation failed): raising still raises, never leaves it out of the shape
  // (a shorter array would give later values under earlier futures' places).
  const failed = futures.filter(isFailed);
  const first = errors === 'raise' ? await failed[0]?.exception() : undefined;
  if (first !== undefined) throw first;
  const skip = new Set(failed.map((f) => f.key));
  const results = await valuesOf(
    client,
    futures.filter((f) => !skip.has(f.key)),
    errors === 'skip' ? skip : undefined,
  );
  return substituteFutures(values, results, skip);
}

function isFailed(f: Future): boolean {
  return f.status === 'error' || f.status === 'cancelled' || f.keyState.isGone;
}

/**
 * The values of finished futures: carried ones, then this client's in one request. One lost
 * meanwhile is waited for; if it fails, the gather rejects, or with `skip` it is left out.
 */
async function valuesOf(
  client: DataSource,
  futures: readonly Future[],
  skip: Set<string> | undefined,
): Promise<Map<string, unknown>> {
  const results = new Map<string, unknown>();
  const fetch: Future[] = [];
  const others: Future[] = [];
  for (const f of futures) {
    const state = f.keyState;
    if (state.status === 'finished' && state.hasValue) results.set(f.key, state.value);
    else if (f.client === client && state.status === 'finished') fetch.push(f);
    else others.push(f);
  }
  if (fetch.length > 0) {
    const got = await client.fetchMany(fetch.map((f) => f.key));
    for (const f of fetch) {
      if (got.has(f.key)) results.set(f.key, got.get(f.key));
      else others.push(f); // lost meanwhile: result() waits for the recomputation
    }
  }
  await Promise.all(
    others.map(async (f) => {
      try {
        results.set(f.key, await f.result());
      } catch (error) {
        if (skip === undefined || !isFailed(f)) throw error;
        skip.add(f.key);
      }
    }),
  );
  return results;
}

/**
 * Places data on workers for a client; returns futures at once, in the data's shape (see
 * `client.scatter`). New data goes out once; data already in place only when it is to be
 * placed anew (`workers`, `broadcast`). Each new future finishes when its data is in place.
 */
export function scatterData(core: ClientCore, data: unknown, options: ScatterOptions): unknown {
  const workers = options.workers === undefined ? undefined : taskOptionsOf(options).workers;
  checkTaskOptions(workers === undefined ? {} : { workers }, 'scatter(data, options)');
  const { keys, values } = scatterEntries(data, options.hash ?? true);
  const placing = workers !== undefined || options.broadcast === true;
  const sent = new Map<string, { value: unknown; state: KeyState }>();
  const futures = keys.map((key, i) => {
    const state = core.states.dataStateOf(key);
    const fresh = state.refs === 0 && state.status === 'pending';
    if ((fresh || (placing && state.status === 'finished')) && !sent.has(key))
      sent.set(key, { value: values[i], state });
    return new Future(key, state, core.owner);
  });
  if (sent.size > 0) {
    const entries = [...sent];
    const placement = {
      ...(workers !== undefined ? { workers } : {}),
      ...(options.broadcast !== undefined ? { broadcast: options.broadcast } : {}),
    };
    core.backend
      .scatter(
        entries.map(([k]) => k),
        entries.map(([, e]) => e.value),
        placement,
      )
      .then(
        () => {
          for (const [, e] of entries) e.state.finish();
        },
        (error: unknown) => {
          const failure = error instanceof Error ? error : new Error(String(error));
          for (const [, e] of entries) if (!e.state.isDone) e.state.fail(failure);
        },
      );
  }
  return shapeScattered(data, futures);
}

/** The items `scatter` places (array items, plain object values, or the value) and their keys. */
function scatterEntries(data: unknown, hash: boolean): { keys: string[]; values: unknown[] } {
  const values = Array.isArray(data)
    ? [...(data as unknown[])]
    : isPlainObject(data)
      ? Object.values(data)
      : [data];
  return { keys: values.map((v) => scatterKey(v, hash)), values };
}

/** Scattered futures in the data's shape. */
function shapeScattered(data: unknown, futures: readonly Future[]): unknown {
  if (Array.isArray(data)) return futures;
  if (isPlainObject(data)) {
    const names = Object.keys(data);
    return Object.fromEntries(names.map((name, i) => [name, futures[i]]));
  }
  return futures[0];
}

function scatterKey(value: unknown, hash: boolean): string {
  const isBlob = typeof Blob !== 'undefined' && value instanceof Blob;
  return `${typeName(value)}-${hash && !isBlob ? tokenize(value) : uniqueToken()}`;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object')
    return (
      ((value as { constructor?: { name?: string } }).constructor?.name ?? '')
        .toLowerCase()
        .replace(/[^a-z0-9_]/g, '') || 'object'
    );
  return typeof value;
}
