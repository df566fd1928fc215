/**
 * ThreadPort (src/local/thread-port.ts) merges the batches of one turn into one post (each post
 * wakes the thread), and keeps the order of calls: a put or gather, or a batch that cancels,
 * first sends the merged batch; nothing goes out after `stop()`.
 */
import { describe, expect, it } from 'vitest';
import { ThreadPort } from '../../src/local/thread-port.js';
import type { ToWorker, WireTask } from '../../src/wire/pool-protocol.js';

function fakePort(): {
  posted: ToWorker[];
  transfers: Transferable[][];
  port: ConstructorParameters<typeof ThreadPort>[1];
} {
  const posted: ToWorker[] = [];
  const transfers: Transferable[][] = [];
  return {
    posted,
    transfers,
    port: {
      postMessage: (message: unknown, transfer?: Transferable[]) => {
        posted.push(message as ToWorker);
        transfers.push(transfer ?? []);
      },
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
    },
  };
}

function wireTask(key: string): WireTask {
  return { key, fn: null, args: [1], marked: false, fetch: [], report: 0 };
}

function batch(run: string[], free: string[] = [], cancel: string[] = []): ToWorker {
  return { type: 'batch', run: run.map(wireTask), free, cancel, measure: false };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ThreadPort batches per turn', () => {
  it('posts the batches of one turn as one, in order', async () => {
    const { posted, port } = fakePort();
    const thread = new ThreadPort('t', port, { onResults: () => undefined });
    thread.enqueue(batch(['a', 'b']));
    thread.enqueue(batch([], ['x']));
    thread.enqueue(batch(['c'], ['y']));
    expect(posted).toHaveLength(0);
    await turn();
    expect(posted).toHaveLength(1);
    const merged = posted[0] as Extract<ToWorker, { type: 'batch' }>;
    expect(merged.run.map((t) => t.key)).toEqual(['a', 'b', 'c']);
    expect(merged.free).toEqual(['x', 'y']);
    expect(thread.running()).toBe('a');
    thread.enqueue(batch(['d']));
    await turn();
    expect(posted).toHaveLength(2);
  });

  it('sends the merged batch before a gather, a put or a cancelling batch', async () => {
    const { posted, port } = fakePort();
    const thread = new ThreadPort('t', port, { onResults: () => undefined });
    thread.enqueue(batch(['a']));
    void thread.gather(['a'], false);
    thread.enqueue(batch(['b']));
    thread.enqueue({ type: 'put', keys: ['p'], values: [1], marked: false });
    thread.enqueue(batch(['c']));
    thread.enqueue(batch([], [], ['c']));
    await turn();
    expect(
      posted.map((m) =>
        m.type === 'batch'
          ? `batch:${m.run.map((t) => t.key).join('')}:${m.cancel.join('')}`
          : m.type,
      ),
    ).toEqual(['batch:a:', 'gather', 'batch:b:', 'put', 'batch:c:', 'batch::c']);
  });

  it("gives away the buffers of tasks' arguments only when asked, and only whole ones", async () => {
    const whole = new Uint8Array(100);
    const part = new Uint8Array(new ArrayBuffer(300), 100, 100);
    const task = (key: string): WireTask => ({ ...wireTask(key), args: [whole, { bytes: part }] });
    for (const transferArgs of [false, true]) {
      const { transfers, port } = fakePort();
      const thread = new ThreadPort('t', port, { onResults: () => undefined, transferArgs });
      thread.enqueue({ type: 'batch', run: [task('a')], free: [], cancel: [], measure: false });
      await turn();
      expect(transfers).toEqual([transferArgs ? [whole.buffer] : []]);
    }
  });

  it('posts nothing after stop', async () => {
    const { posted, port } = fakePort();
    const thread = new ThreadPort('t', port, { onResults: () => undefined });
    thread.enqueue(batch(['a']));
    thread.stop();
    await turn();
    expect(posted).toHaveLength(0);
  });
});
