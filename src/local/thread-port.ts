/**
 * The task port of one worker thread as a router sees it (a `bask worker` process's main
 * thread, server/worker/threads.ts, or a volunteer's router worker, volunteer/holdings.ts):
 * batches in through a queue, results and gathered values out, the tasks in flight.
 *
 * Ordering policy: batches (and anything else `enqueue`d) go through one queue, so that a task
 * never overtakes the data put in for it while its inputs are still being fetched (from another
 * machine, the relay, or IndexedDB); `before` runs first and its puts go just ahead of the
 * message. Gathers go straight to the thread (`post`): they name data already made, and a
 * gather queued behind a batch whose input is being fetched from a peer that is itself waiting
 * for this gather would wait forever.
 *
 * Batches that would go out at once are merged and posted once per turn of the event loop
 * (wire/next-turn.ts): each post wakes the thread, and on a busy machine waking it costs the
 * sender tens of microseconds (a worker process posted a `run` and a `free` per scheduler
 * message: ~3,400 posts, a tenth of its thread, per 2,000 files). Anything else posted (a put, a
 * gather), and a batch that cancels tasks, first sends the merged batch, so the order the thread
 * sees is the order of the calls.
 *
 * Invariant: `stop()` settles every pending gather as missing data; nothing is posted after it.
 */
import type { FromWorker, TaskResult, ToWorker } from '../wire/pool-protocol.js';
import type { RunningSlot } from '../worker/running-slot.js';
import { afterThisTurn } from '../wire/next-turn.js';
import type { MainPort } from './runtime.js';
import { SentKeys } from './sent-keys.js';

/** Values held by a thread, still encoded (to forward elsewhere). */
export interface RawValues {
  values: unknown[];
  missing: string[];
}

/** How a router hears from a thread, and how it posts to it. */
export interface ThreadPortOptions {
  /** Results of tasks the thread ran. */
  onResults: (thread: ThreadPort, results: TaskResult[]) => void;
  /** The thread reported an error it cannot survive (it ends itself). */
  onFatal?: (thread: ThreadPort) => void;
  /** The thread's running slot, where it says which task it runs (else the oldest unanswered). */
  slot?: RunningSlot;
  /** Give the buffers of put values to the thread (the router's own copies) instead of copying. */
  transferPuts?: boolean;
  /**
   * Give the buffers in tasks' arguments to the thread instead of copying: for a router whose
   * tasks were decoded from the scheduler's frames (its own copies, used once). Copying costs
   * the router's thread about as much as the thread's parse on a file-per-task workload.
   */
  transferArgs?: boolean;
  /** Which start of this thread id (a thread that dies is replaced under the same id). */
  generation?: number;
}

/** The task port of one worker thread. */
export class ThreadPort {
  /** Tasks this thread finished without error. */
  tasksDone = 0;
  /** Which start of this thread id. */
  readonly generation: number;
  private readonly gathers = new Map<number, { keys: string[]; resolve: (v: RawValues) => void }>();
  private nextGather = 1;
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  private stopped = false;
  /** Tasks sent and not answered, in run order (what a crash blames without a slot). */
  private readonly inflight = new SentKeys();
  /** Batches of this turn, merged, not posted yet. */
  private merged: Extract<ToWorker, { type: 'batch' }> | undefined;

  constructor(
    readonly id: string,
    private readonly port: MainPort,
    private readonly options: ThreadPortOptions,
  ) {
    this.generation = options.generation ?? 0;
    port.addEventListener('message', (event: MessageEvent) =>
      this.receive(event.data as FromWorker),
    );
    port.start?.();
  }

  private receive(message: FromWorker): void {
    if (message.type === 'results') {
      for (const r of message.results) {
        this.inflight.delete(r.key);
        if (r.error === undefined && r.missing === undefined) this.tasksDone++;
      }
      this.options.onResults(this, message.results);
    } else if (message.type === 'gathered') {
      const gather = this.gathers.get(message.id);
      this.gathers.delete(message.id);
      gather?.resolve({ values: message.values, missing: message.missing });
    } else if (message.type === 'fatal') {
      this.options.onFatal?.(this);
    }
  }

  /**
   * Sends a message after everything queued before it. `before` runs first (a fetch, a read
   * from IndexedDB) and resolves to messages (puts) that go just ahead of this one.
   */
  enqueue(message: ToWorker, before?: () => Promise<ToWorker[]>): void {
    if (this.stopped) return;
    if (message.type === 'batch') {
      for (const key of message.cancel) this.inflight.delete(key);
      for (const task of message.run) this.inflight.add(task.key);
    }
    if (before === undefined && this.pending === 0) {
      if (message.type === 'batch' && message.cancel.length === 0) this.merge(message);
      else this.post(message);
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

  /** Adds a batch to this turn's merged batch, posted at the end of the turn. */
  private merge(batch: Extract<ToWorker, { type: 'batch' }>): void {
    const merged = this.merged;
    if (merged === undefined) {
      this.merged = { ...batch, run: [...batch.run], free: [...batch.free], cancel: [] };
      afterThisTurn(() => this.postMerged());
      return;
    }
    for (const task of batch.run) merged.run.push(task);
    for (const key of batch.free) merged.free.push(key);
    merged.measure ||= batch.measure;
  }

  /** Posts the merged batch, if any. */
  private postMerged(): void {
    const merged = this.merged;
    if (merged === undefined) return;
    this.merged = undefined;
    if (!this.stopped) this.send(merged);
  }

  /** Posts a message now (after this turn's merged batch), ahead of anything still queued. */
  post(message: ToWorker): void {
    if (this.stopped) return;
    this.postMerged();
    this.send(message);
  }

  private send(message: ToWorker): void {
    const transfer = this.transferable(message);
    if (transfer.length === 0) {
      this.port.postMessage(message);
      return;
    }
    try {
      this.port.postMessage(message, transfer);
    } catch {
      this.port.postMessage(message); // a buffer that cannot move (shared): copy instead
    }
  }

  /** The buffers `message` gives away (see the options). */
  private transferable(message: ToWorker): Transferable[] {
    if (message.type === 'put' && this.options.transferPuts === true)
      return buffersOf(message.values);
    if (message.type === 'batch' && this.options.transferArgs === true && message.run.length > 0)
      return buffersOf(
        message.run.map((task) => task.args),
        true,
      );
    return [];
  }

  /** The task running now, if any (the slot's word; else the oldest unanswered). */
  running(): string | undefined {
    return runningTask(this.options.slot, this.inflight);
  }

  /** Values held by the thread, still encoded; with `move`, the thread forgets them. */
  gather(keys: string[], move: boolean): Promise<RawValues> {
    if (this.stopped) return Promise.resolve({ values: keys.map(() => undefined), missing: keys });
    const id = this.nextGather++;
    return new Promise((resolve) => {
      this.gathers.set(id, { keys, resolve });
      this.post({ type: 'gather', id, keys, move });
    });
  }

  /**
   * Resolves once the thread has read everything posted to it before this call (and, with
   * `queued`, everything queued too): a round trip on its port, which it reads in order. A
   * put is acknowledged only then, because other threads fetch from it over their own ports,
   * which may be read before a task port still holding the put.
   */
  async received(queued: boolean): Promise<void> {
    if (queued) await this.chain;
    await this.gather([], false);
  }

  /** Lets the process exit while the thread is idle (Node), or holds it open. */
  setActive(active: boolean): void {
    if (active) this.port.ref?.();
    else this.port.unref?.();
  }

  /** Stops using the thread; pending gathers resolve as missing. */
  stop(): void {
    this.stopped = true;
    for (const gather of this.gathers.values())
      gather.resolve({ values: gather.keys.map(() => undefined), missing: gather.keys });
    this.gathers.clear();
    this.port.close?.();
  }
}

/**
 * The task a thread runs now, if any: what it wrote in its running slot when it has one (a key
 * it was sent and has not answered), else the oldest of `inflight` (tasks run in order).
 */
export function runningTask(slot: RunningSlot | undefined, inflight: SentKeys): string | undefined {
  const reading = slot?.read() ?? { state: 'unknown' };
  if (reading.state === 'idle') return undefined;
  if (reading.state === 'running') return inflight.has(reading.key) ? reading.key : undefined;
  return inflight.first();
}

/**
 * The ArrayBuffers under the typed arrays of encoded values (each once). With `wholeOnly`, only
 * those a view covers whole: a view of part of a buffer may share it with bytes others still
 * read (a network read holding the next message), so it is copied, not given away.
 */
export function buffersOf(values: readonly unknown[], wholeOnly = false): Transferable[] {
  const found = new Set<ArrayBuffer>();
  const visit = (value: unknown, depth: number): void => {
    if (value === null || typeof value !== 'object' || depth > 64) return;
    if (ArrayBuffer.isView(value)) {
      const buffer = value.buffer;
      if (!(buffer instanceof ArrayBuffer) || buffer.byteLength === 0) return;
      if (wholeOnly && (value.byteOffset !== 0 || value.byteLength !== buffer.byteLength)) return;
      found.add(buffer);
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
