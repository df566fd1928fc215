/**
 * The worker runtime: what runs inside every worker thread (a pool's, a `bask worker`'s, a
 * volunteer tab's). It holds the data its tasks made, runs the batches it is sent in order,
 * fetches missing inputs straight from the peer that holds them, and drops data when told.
 *
 * Policy: tasks run one at a time in arrival order (a worker is one thread); results go back
 * in batches, flushed when the queue empties or every FLUSH_MS, so a batch of tiny tasks costs
 * one message and a slow task does not hold back the results before it (a task waiting on a
 * promise flushes them after this turn, not at once: quick async tasks share a message).
 * "The queue empties" waits for the batches that arrived meanwhile (wire/next-turn.ts):
 * messages already received run first, so their results share one message. The loop is
 * synchronous until a task needs something asynchronous (a module import, a fetch, a promise).
 */
import { now } from '../hooks.js';
import { afterThisTurn } from '../wire/next-turn.js';
import { serializeError } from '../errors.js';
import {
  fetchesOf,
  type FromWorker,
  type TaskResult,
  type ToWorker,
  type WireTask,
  type WorkerStats,
} from '../wire/pool-protocol.js';
import { CloneDecoder, CloneEncoder, MARK, decodeWithImports } from '../wire/clone.js';
import { Task } from '../graph/spec.js';
import type { FnRef } from '../graph/fnref.js';
import { typeNamed } from '../wire/registry.js';
import { digestValue, isDigestReady, loadDigest } from './digest.js';
import { MissingInputError, evaluate, isThenable } from './execute.js';
import { FunctionCache } from './functions.js';
import { PeerLink, type PortLike, type ServedCounters } from './peer.js';
import type { RunningSlot } from './running-slot.js';
import { sizeof } from './sizeof.js';
import { CheckedInputs } from './checked-inputs.js';
import { groupByHolder } from './fetch-groups.js';

const FLUSH_MS = 2;

/** A worker's state and task loop, independent of the transport that feeds it. */
export class WorkerRuntime {
  readonly store = new Map<string, unknown>();
  /** Inputs checked against their verified hashes (fetched from other hosts). */
  private readonly inputs = new CheckedInputs();
  readonly functions: FunctionCache;
  private readonly peers = new Map<string, PeerLink>();
  private queue: WireTask[] = [];
  private head = 0;
  private busy = false;
  private results: TaskResult[] = [];
  private encoder = new CloneEncoder(false);
  private lastFlush = 0;
  private measure = false;
  private flushPending = false;
  private flushWhileBusy = false;
  /** Every put still decoding (imports to load): tasks and gathers wait for them. */
  private decoding: Promise<void> | undefined;
  private readonly served: ServedCounters = { bytesMoved: 0, bytesCopied: 0, fetchesServed: 0 };
  tasksDone = 0;

  constructor(
    readonly id: string,
    private readonly send: (message: FromWorker, transfer: Transferable[]) => void,
    functions?: FunctionCache,
    /** Results asked for with report 1 travel back only up to this size (bytes). */
    private readonly reportLimit = Infinity,
    /** Where the task being run is written for the parent (what a crash blames). */
    private readonly slot?: RunningSlot,
  ) {
    this.functions = functions ?? new FunctionCache();
  }

  /** Handles a message from the main thread. */
  receive(message: ToWorker): void {
    if (message.type === 'gather') {
      // A gather answers after the puts before it are stored (a put's ack is a gather of none).
      const { id, keys, move } = message;
      if (this.decoding === undefined) this.gather(id, keys, move);
      else void this.decoding.then(() => this.gather(id, keys, move));
      return;
    }
    if (message.type === 'put') {
      this.put(message.keys, message.values, message.marked);
      return;
    }
    this.measure = message.measure;
    if (message.cancel.length > 0) this.cancel(message.cancel);
    for (const key of message.free) {
      this.store.delete(key);
      this.inputs.forget(key);
    }
    if (message.run.length > 0) {
      if (this.head === this.queue.length) {
        this.queue = message.run;
        this.head = 0;
      } else {
        for (const t of message.run) this.queue.push(t);
      }
      this.pump();
    }
  }

  /** Connects the data port shared with another worker. */
  connectPeer(peer: string, port: PortLike): void {
    this.peers.get(peer)?.close();
    this.peers.set(
      peer,
      new PeerLink(port, this.store, (url) => this.functions.load(url), this.served),
    );
  }

  /** Counters for tests and diagnostics. */
  stats(): WorkerStats {
    return { tasksDone: this.tasksDone, keys: this.store.size, ...this.served };
  }

  /** Forgets a peer; its pending fetches fail as missing data. */
  disconnectPeer(peer: string): void {
    this.peers.get(peer)?.close();
    this.peers.delete(peer);
  }

  /** Stores values placed directly; tasks wait until they are decoded (imports may be needed). */
  private put(keys: string[], values: unknown[], marked: boolean): void {
    if (!marked) {
      keys.forEach((k, i) => this.store.set(k, values[i]));
      return;
    }
    const decoder = new CloneDecoder();
    const decoded = values.map((v) => decoder.decode(v));
    if (decoder.missingModules.size === 0) {
      keys.forEach((k, i) => this.store.set(k, decoded[i]));
      return;
    }
    const loading = Promise.all([...decoder.missingModules].map((m) => this.functions.load(m)))
      .then(() => {
        const again = new CloneDecoder();
        keys.forEach((k, i) => this.store.set(k, again.decode(decoded[i])));
      })
      .catch(() => undefined);
    const all: Promise<void> = Promise.all([this.decoding, loading]).then(() => {
      if (this.decoding === all) this.decoding = undefined;
    });
    this.decoding = all;
  }

  private cancel(keys: readonly string[]): void {
    const drop = new Set(keys);
    const kept = this.queue.slice(this.head).filter((t) => !drop.has(t.key));
    // The task in progress (if any) is at `head - 1`, already taken; it finishes and is ignored.
    this.queue = kept;
    this.head = 0;
  }

  private pump(): void {
    if (this.busy) return;
    if (this.decoding !== undefined) {
      this.busy = true;
      void this.decoding.then(() => {
        this.busy = false;
        this.pump();
      });
      return;
    }
    this.busy = true;
    while (this.head < this.queue.length) {
      const task = this.queue[this.head++] as WireTask;
      const pending = this.step(task);
      if (pending !== undefined) {
        // The results so far go now if they waited long enough, else after this turn: a task
        // that awaits only promises already settled (an async function over bytes in memory)
        // resumes before then, and the tasks after it join the same message; one that waits
        // for I/O does not hold them back.
        if (now() - this.lastFlush > FLUSH_MS) this.flush();
        else this.flushSoon(true);
        void pending.then(() => {
          this.busy = false;
          this.pump();
        });
        return;
      }
      if (now() - this.lastFlush > FLUSH_MS) this.flush();
    }
    this.busy = false;
    this.flushSoon();
  }

  /**
   * Flushes once the messages received meanwhile have run (see the header); `whileBusy`: even
   * if a task is still waiting then (the results before it are not held back).
   */
  private flushSoon(whileBusy = false): void {
    if (whileBusy) this.flushWhileBusy = true;
    if (this.flushPending) return;
    this.flushPending = true;
    afterThisTurn(() => {
      this.flushPending = false;
      if (!this.busy || this.flushWhileBusy) this.flush();
      this.flushWhileBusy = false;
    });
  }

  /** Runs one task; returns a promise only when it had to wait for something. */
  private step(task: WireTask): Promise<void> | undefined {
    const start = now();
    this.slot?.enter(task.key);
    try {
      const needed = this.modulesNeeded(task);
      if (needed.length > 0) return this.afterLoading(needed, task, start);
      if (task.hash === 1 && !isDigestReady()) return this.afterLoading([], task, start);
      const fetch = fetchesOf(task);
      if (fetch.length > 0) {
        if (fetch.some((f) => !this.store.has(f.key))) return this.fetchThenRun(task, start);
        if (this.inputs.needsCheck(task, this.store)) {
          if (!this.inputs.isReady) return this.afterLoading([], task, start);
          const forged = this.inputs.check(task, this.store);
          if (forged.length > 0) {
            this.slot?.leave();
            this.results.push({ key: task.key, start, end: now(), missing: forged, forged });
            return undefined;
          }
        }
      }
      const value = evaluate(this.decodeSpec(task), this.store);
      if (isThenable(value)) {
        return Promise.resolve(value).then(
          (v) => this.finish(task, start, v),
          (e: unknown) => this.fail(task, start, e),
        );
      }
      this.finish(task, start, value);
    } catch (error) {
      this.fail(task, start, error);
    }
    return undefined;
  }

  private async afterLoading(urls: string[], task: WireTask, start: number): Promise<void> {
    try {
      await Promise.all(urls.map((u) => this.functions.load(u)));
      if (task.hash === 1 || fetchesOf(task).some((f) => f.hash !== undefined)) await loadDigest();
    } catch (error) {
      this.fail(task, start, error);
      return;
    }
    const again = this.step(task);
    if (again !== undefined) await again;
  }

  private async fetchThenRun(task: WireTask, start: number): Promise<void> {
    const byPeer = groupByHolder(fetchesOf(task), (f) => this.store.has(f.key));
    const missing: { key: string; from: string }[] = [];
    // Waiting for data is not running: a death meanwhile is not this task's doing.
    this.slot?.leave();
    await Promise.all(
      [...byPeer].map(async ([from, group]) => {
        const link = this.peers.get(from);
        if (link === undefined) {
          for (const key of group.keys) missing.push({ key, from });
          return;
        }
        const got = await link.request(group.keys, group.move);
        for (const key of got.missing) missing.push({ key, from });
        for (const [key, value] of got.values) this.store.set(key, value);
      }),
    );
    if (missing.length > 0) {
      this.slot?.leave();
      this.results.push({ key: task.key, start, end: now(), missing });
      return;
    }
    const again = this.step(task);
    if (again !== undefined) await again;
  }

  private decodeSpec(task: WireTask): unknown {
    const decoder = new CloneDecoder((ref) => this.functions.resolve(ref));
    const args = task.marked ? task.args.map((a) => decoder.decode(a)) : task.args;
    if (task.fn === null) return args[0];
    return new Task(this.functions.resolve(task.fn), args);
  }

  /** Modules a task needs before it can be decoded: task modules and types' modules. */
  private modulesNeeded(task: WireTask): string[] {
    const urls: string[] = [];
    if (task.fn !== null && !this.functions.isReady(task.fn))
      urls.push((task.fn as { module: string }).module);
    if (task.marked) scanMarkers(task.args, this.functions, urls);
    return urls;
  }

  private finish(task: WireTask, start: number, value: unknown): void {
    this.slot?.leave();
    const end = now();
    this.tasksDone++;
    if (this.measure) measureTask(task.key, start, end);
    const result: TaskResult = { key: task.key, start, end, nbytes: sizeof(value) };
    try {
      // Hashed before anything is given away (report 2 transfers the value's buffers).
      if (task.hash === 1) result.hash = digestValue(value);
      if (task.report === 2) {
        // Its last use: give the value away (transfer its buffers) instead of keeping it.
        const encoder = new CloneEncoder(true);
        result.value = encoder.encode(value);
        if (encoder.marked) this.encoder.marked = true;
        for (const t of encoder.transfer) this.encoder.transfer.push(t);
        result.hasValue = true;
      } else {
        this.store.set(task.key, value);
        if (
          task.report === 1 &&
          (this.reportLimit === Infinity || (result.nbytes ?? 0) <= this.reportLimit)
        ) {
          result.value = this.encoder.encode(value);
          result.hasValue = true;
        }
      }
    } catch (error) {
      this.fail(task, start, error);
      return;
    }
    this.results.push(result);
  }

  private fail(task: WireTask, start: number, error: unknown): void {
    this.slot?.leave();
    if (error instanceof MissingInputError && error.key !== undefined) {
      // An input this worker should have had (a pipelined task whose input was taken back).
      this.results.push({
        key: task.key,
        start,
        end: now(),
        missing: [{ key: error.key, from: this.id }],
      });
      return;
    }
    const end = now();
    if (this.measure) measureTask(task.key, start, end);
    this.results.push({ key: task.key, start, end, error: serializeError(error) });
  }

  private flush(): void {
    this.lastFlush = now();
    if (this.results.length === 0) return;
    const message: FromWorker = {
      type: 'results',
      results: this.results,
      marked: this.encoder.marked,
    };
    const transfer = this.encoder.transfer;
    this.results = [];
    this.encoder = new CloneEncoder(false);
    this.send(message, transfer);
  }

  private gather(id: number, keys: string[], move: boolean): void {
    const encoder = new CloneEncoder(move);
    const values: unknown[] = [];
    const missing: string[] = [];
    for (const key of keys) {
      if (!this.store.has(key)) {
        missing.push(key);
        values.push(undefined);
        continue;
      }
      values.push(encoder.encode(this.store.get(key)));
      if (move) this.store.delete(key);
    }
    this.send({ type: 'gathered', id, values, missing, marked: encoder.marked }, encoder.transfer);
  }
}

function scanMarkers(value: unknown, functions: FunctionCache, urls: string[]): void {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return;
  if (Array.isArray(value)) {
    for (const v of value) scanMarkers(v, functions, urls);
    return;
  }
  const record = value as Record<string, unknown>;
  const kind = record[MARK];
  if (kind === 'task' || kind === 'fn') {
    // A nested task's function, or a callback passed as an argument.
    const fn = record['fn'] as FnRef;
    if (!functions.isReady(fn) && fn.kind === 'module') urls.push(fn.module);
  } else if (kind === 'type') {
    const module = record['module'];
    if (typeof module === 'string' && typeNamed(record['name'] as string) === undefined)
      urls.push(module);
  }
  for (const k of Object.keys(record)) scanMarkers(record[k], functions, urls);
}

function measureTask(key: string, start: number, end: number): void {
  const origin = performance.timeOrigin;
  try {
    performance.measure(key, { start: start - origin, end: end - origin });
  } catch {
    // Runtimes without User Timing level 3 just do not get the entries.
  }
}

export { decodeWithImports };
