/**
 * `gather` when futures change state while it waits: a future that was finished when its turn
 * was checked, then lost with its worker and failed on recomputation (ERR_KILLED_WORKER after
 * memory restarts), must not vanish from the shape. It did: `bench/memory.ts` got an array one
 * or more shorter, so `sum 4` read the sum of another array (a value under another key).
 */
import { describe, expect, it } from 'vitest';
import { BaskError, isBaskError } from '../../src/errors.js';
import { gatherFutures } from '../../src/client/data.js';
import { Future, KeyState, type FutureOwner } from '../../src/client/future.js';

/** A client that holds no data of its own: every value here comes with its report. */
function fakeClient(): FutureOwner & {
  fetchMany(keys: readonly string[]): Promise<Map<string, unknown>>;
} {
  return {
    fetch: () => Promise.reject(new Error('nothing to fetch')),
    fetchMany: () => Promise.resolve(new Map()),
    cancelKey: () => undefined,
    retryKey: () => undefined,
    unref: () => undefined,
  };
}

function killed(key: string): BaskError {
  return new BaskError('ERR_KILLED_WORKER', `Task '${key}' was running on 3 workers that died`, {
    key,
  });
}

/** Three futures: `a` pending, `b` and `c` finished with their values. */
function threeFutures(): {
  states: KeyState[];
  futures: Future[];
  client: ReturnType<typeof fakeClient>;
} {
  const client = fakeClient();
  const states = ['a', 'b', 'c'].map((k) => new KeyState(k));
  const futures = states.map((s) => new Future(s.key, s, client));
  (states[1] as KeyState).finish(2, true);
  (states[2] as KeyState).finish(3, true);
  return { states, futures, client };
}

/** Lets the gather check the futures that are done already. */
const checked = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe('gather while futures are lost and fail', () => {
  it('raises for a future that failed after it was seen finished, never drops it', async () => {
    const { states, futures, client } = threeFutures();
    const [a, b] = states as [KeyState, KeyState, KeyState];
    const gathered = gatherFutures(client, futures, {});
    await checked();
    // b's worker died (lost), its recomputation took three restarts (failed); then a finished.
    b.lose();
    b.fail(killed('b'));
    a.finish(1, true);
    const error = await gathered.then(
      (values) => values,
      (e: unknown) => e,
    );
    expect(isBaskError(error, 'ERR_KILLED_WORKER')).toBe(true);
  });

  it('with errors: skip, leaves out a future lost during the fetch that then fails', async () => {
    const { states, futures, client } = threeFutures();
    const [a, b] = states as [KeyState, KeyState, KeyState];
    a.finish(1, true);
    b.finish(); // finished, its value on a worker: the gather fetches it
    client.fetchMany = () => {
      // The worker died before answering: b is lost, then its recomputation fails.
      b.lose();
      setTimeout(() => b.fail(killed('b')), 0);
      return Promise.resolve(new Map<string, unknown>());
    };
    await expect(gatherFutures(client, futures, { errors: 'skip' })).resolves.toEqual([1, 3]);
  });

  it('with errors: skip, keeps the places of futures that finish after a loss', async () => {
    const { states, futures, client } = threeFutures();
    const [a, b] = states as [KeyState, KeyState, KeyState];
    a.finish(1, true);
    b.lose();
    const gathered = gatherFutures(client, futures, { errors: 'skip' });
    await checked();
    b.finish(2, true);
    await expect(gathered).resolves.toEqual([1, 2, 3]);
  });
});
