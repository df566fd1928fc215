/**
 * One volunteer thread (a Web Worker running the pool worker) as its router sees it: the task
 * port, a queue, and the gathers in flight. The browser twin of server/worker/threads.ts.
 *
 * Batches go through a queue (`enqueue`), so that a task never overtakes the data put in for
 * it while its inputs are still being fetched (from another browser, a Node worker, the relay
 * or IndexedDB). Gathers and puts go straight to the thread: a gather queued behind a batch
 * whose input is being fetched from a volunteer that is itself waiting for this gather would
 * wait forever.
 *
 * Invariant: `stop()` settles every pending gather as missing data.
 */
import type { FromWorker, TaskResult, ToWorker } from '../wire/pool-protocol.js';

/** Values held by a thread, still encoded (to forward elsewhere). */
export interface RawValues {
  values: unknown[];
  missing: string[];
}

/** A thread of this volunteer. */
export class ThreadLink {
  private readonly gathers = new Map<number, { keys: string[]; resolve: (v: RawValues) => void }>();
  private nextGather = 1;
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  private stopped = false;
  /** Tasks sent and not answered, in run order: the first is the one running. */
  private readonly inflight = new Set<string>();
  tasksDone = 0;

  constructor(
    readonly id: string,
    /** Which start of this thread id (the page counts restarts). */
    readonly generation: number,
    private readonly port: MessagePort,
    onResults: (thread: ThreadLink, results: TaskResult[]) => void,
    /** The thread reported an error it cannot survive (it closes itself). */
    onFatal: (thread: ThreadLink) => void,
  ) {
    port.addEventListener('message', (event: MessageEvent) => {
      const message = event.data as FromWorker;
      if (message.type === 'results') {
        for (const r of message.results) {
          this.inflight.delete(r.key);
          if (r.error === undefined && r.missing === undefined) this.tasksDone++;
        }
        onResults(this, message.results);
      } else if (message.type === 'gathered') {
        const gather = this.gathers.get(message.id);
        this.gathers.delete(message.id);
        gather?.resolve({ values: message.values, missing: message.missing });
      } else if (message.type === 'fatal') {
        onFatal(this);
      }
    });
    port.start();
  }

  /**
   * Sends a message after everything queued before it. `before` runs first (a fetch, a read
   * from IndexedDB) and resolves to messages (puts) that go just ahead of this one.
   */
  enqueue(message: ToWorker, before?: () => Promise<ToWorker[]>): void {
    if (this.stopped) return;
    // Gathers and puts need no order with tasks: a gather names data already made, and a put
    // waiting behind a batch that fetches could deadlock two volunteers fetching from each other.
    if (message.type !== 'batch' && before === undefined) {
      this.post(message);
      return;
    }
    if (message.type === 'batch') {
      for (const key of message.cancel) this.inflight.delete(key);
      for (const task of message.run) this.inflight.add(task.key);
    }
    if (before === undefined && this.pending === 0) {
      this.post(message);
      return;
    }
    this.pending++;
    this.chain = this.chain
      .then(before ?? (() => []))
      .catch((): ToWorker[] => [])
      .then((ahead) => {
        this.pending--;
        for (const m of ahead) this.post(m);
        this.post(message);
      });
  }

  private post(message: ToWorker): void {
    if (this.stopped) return;
    // Values put in are the router's own copies: give their buffers away (no copy).
    const transfer = message.type === 'put' ? buffersOf(message.values) : [];
    try {
      this.port.postMessage(message, transfer);
    } catch {
      this.port.postMessage(message); // a buffer that cannot move (shared): copy instead
    }
  }

  /** The task running now (the oldest unanswered), if any. */
  running(): string | undefined {
    return this.inflight.values().next().value;
  }

  /** Values held by the thread, encoded; with `move`, the thread forgets them. */
  gather(keys: string[], move: boolean): Promise<RawValues> {
    if (this.stopped) return Promise.resolve({ values: keys.map(() => undefined), missing: keys });
    const id = this.nextGather++;
    return new Promise((resolve) => {
      this.gathers.set(id, { keys, resolve });
      this.enqueue({ type: 'gather', id, keys, move });
    });
  }

  /** Stops using the thread; pending gathers resolve as missing. */
  stop(): void {
    this.stopped = true;
    for (const gather of this.gathers.values())
      gather.resolve({ values: gather.keys.map(() => undefined), missing: gather.keys });
    this.gathers.clear();
    this.port.close();
  }
}

/** The ArrayBuffers under the typed arrays of encoded values (each once). */
export function buffersOf(values: readonly unknown[]): Transferable[] {
  const found = new Set<ArrayBuffer>();
  const visit = (value: unknown, depth: number): void => {
    if (value === null || typeof value !== 'object' || depth > 64) return;
    if (ArrayBuffer.isView(value)) {
      if (value.buffer instanceof ArrayBuffer && value.buffer.byteLength > 0)
        found.add(value.buffer);
      return;
    }
    if (value instanceof ArrayBuffer) {
      if (value.byteLength > 0) found.add(value);
      return;
    }
    if (Array.isArray(value)) for (const v of value) visit(v, depth + 1);
    else if (Object.getPrototypeOf(value) === Object.prototype)
      for (const v of Object.values(value as Record<string, unknown>)) visit(v, depth + 1);
  };
  for (const v of values) visit(v, 0);
  return [...found];
}
