/**
 * The main thread's side of one pool worker: its comlink control proxy, its task port, the
 * batch being assembled for it, and the tasks it was sent and has not answered.
 *
 * Invariants: tasks run in the order they were sent; what a crash blames is the task the worker
 * wrote in its running slot (worker/running-slot.ts), else the first key in `inflight`; a
 * function's source is sent to a worker once, with the first task sent that names it (a task
 * that fails to encode sends none), later references carry only its hash; every pending
 * gather settles when the worker dies.
 */
import type * as Comlink from 'comlink';
import type { Instruction } from '../engine/types.js';
import { describeFunction, type FnRef } from '../graph/fnref.js';
import { decodeWithImports, type BlobContents } from '../wire/clone.js';
import { recordMoved } from '../wire/hand-over.js';
import { encodeSpec, type EncodeSpecOptions, type Fn } from '../wire/spec-codec.js';
import type { WireSpec } from '../wire/protocol.js';
import {
  wireTask,
  type FromWorker,
  type ReportMode,
  type ToWorker,
  type WireTask,
  type WorkerApi,
} from '../wire/pool-protocol.js';
import type { MainPort, SpawnedWorker } from './runtime.js';
import { SentKeys } from './sent-keys.js';
import { ThreadLink } from './thread-link.js';
import { runningTask } from './thread-port.js';
import { importTaskModule } from '../worker/builtins.js';
import type { RunningSlot } from '../worker/running-slot.js';

type Execute = Extract<Instruction, { type: 'execute' }>;

const importModule = importTaskModule;

interface Gather {
  keys: string[];
  resolve: (values: Map<string, unknown>) => void;
  reject: (error: unknown) => void;
}

/** One pool worker, seen from the main thread. */
export class WorkerHandle {
  /** The control link: every call is raced against the worker's exit. */
  readonly link: ThreadLink;
  /** The worker's control API (`link.remote`): calls reject with ERR_WORKER_CRASHED when it dies. */
  readonly remote: Comlink.Remote<WorkerApi>;
  /** Keys sent and not answered, in the order they run. */
  readonly inflight = new SentKeys();
  /** When the current first in-flight task started (approximately). */
  headSince = 0;
  /** Set when the pool ended this worker on purpose (timeout, close). */
  retired = false;
  /** Resolves when the worker has exited. */
  readonly exited: Promise<void>;
  private readonly knownSources = new Map<string, FnRef>();
  /** Hashes whose source the task being encoded is the first to carry (see `encode`). */
  private readonly shippedNow: string[] = [];
  /** The function named last and its reference as sent now: most tasks of a run share one. */
  private lastFn: Fn | undefined = undefined;
  private lastRef: FnRef | undefined = undefined;
  private readonly name = (fn: Fn): FnRef => {
    if (fn === this.lastFn) return this.lastRef as FnRef;
    const ref = this.ship(describeFunction(fn));
    this.lastFn = fn;
    // A source goes once: from the next task on, its short form.
    this.lastRef = ref.kind === 'source' ? this.knownSources.get(ref.hash) : ref;
    return ref;
  };
  /** `encodeSpec`'s options, kept and refilled: encoding a task allocates none. */
  private readonly encoding: EncodeSpecOptions = { name: this.name };
  private run: WireTask[] = [];
  /** Handed-over buffers the pending batch's tasks hold (wire/hand-over.ts): moved with it. */
  private moving: Transferable[] = [];
  private free: string[] = [];
  private cancel: string[] = [];
  private readonly gathers = new Map<number, Gather>();
  private nextGather = 1;
  private disposed = false;

  constructor(
    readonly id: string,
    readonly spawned: SpawnedWorker,
    readonly taskPort: MainPort,
    onMessage: (handle: WorkerHandle, message: FromWorker) => void,
    private readonly slot?: RunningSlot,
  ) {
    this.link = new ThreadLink(id, spawned);
    this.remote = this.link.remote;
    this.exited = this.link.exited;
    taskPort.addEventListener('message', (event: MessageEvent) => {
      const message = event.data as FromWorker;
      if (message.type === 'gathered') void this.settleGather(message);
      else onMessage(this, message);
    });
    taskPort.start?.();
  }

  /**
   * Adds a task to the next batch; throws ERR_UNSHIPPABLE_FUNCTION before sending it. `blobs`:
   * the bytes of its Files and Blobs, for a worker they cannot be posted to as they are.
   */
  enqueue(ins: Execute, report: ReportMode, now: number, blobs?: BlobContents): void {
    const task = this.encode(ins, report, blobs);
    if (this.inflight.size === 0) this.headSince = now;
    this.inflight.add(ins.key);
    this.run.push(task);
  }

  /** Drops data the engine released. */
  freeKeys(keys: readonly string[]): void {
    for (const k of keys) this.free.push(k);
  }

  /** Drops a queued task nobody needs any more. */
  cancelTask(key: string): void {
    if (this.inflight.delete(key)) this.cancel.push(key);
  }

  /**
   * Records an answer for `key`. Tasks run in the order they were sent, so the next one
   * started about now (no walk of `inflight` for its head: one per answer added up).
   */
  answered(key: string, now: number): void {
    this.inflight.delete(key);
    this.headSince = now;
  }

  /** The task running now, if any (the slot's word; else the oldest unanswered). */
  running(): string | undefined {
    return runningTask(this.slot, this.inflight);
  }

  /** Sends the pending batch, if any; true when a message went out. */
  flush(measure: boolean): boolean {
    if (this.run.length === 0 && this.free.length === 0 && this.cancel.length === 0) return false;
    const message: ToWorker = {
      type: 'batch',
      run: this.run,
      free: this.free,
      cancel: this.cancel,
      measure,
    };
    const moving = this.moving;
    this.run = [];
    this.free = [];
    this.cancel = [];
    if (moving.length === 0) {
      this.taskPort.postMessage(message);
      return true;
    }
    this.moving = [];
    this.taskPort.postMessage(message, moving);
    // A port that copies (a worker process's pipe) leaves them here, to send again if need be.
    recordMoved(moving);
    return true;
  }

  /** Asks for values held by this worker; missing ones are left out of the result. */
  gather(keys: string[], move: boolean): Promise<Map<string, unknown>> {
    const id = this.nextGather++;
    return new Promise((resolve, reject) => {
      this.gathers.set(id, { keys, resolve, reject });
      this.taskPort.postMessage({ type: 'gather', id, keys, move } satisfies ToWorker);
    });
  }

  private async settleGather(message: Extract<FromWorker, { type: 'gathered' }>): Promise<void> {
    const g = this.gathers.get(message.id);
    if (g === undefined) return;
    this.gathers.delete(message.id);
    try {
      const values = message.marked
        ? ((await decodeWithImports(message.values, importModule)) as unknown[])
        : message.values;
      const lost = new Set(message.missing);
      const out = new Map<string, unknown>();
      g.keys.forEach((k, i) => {
        if (!lost.has(k)) out.set(k, values[i]);
      });
      g.resolve(out);
    } catch (error) {
      g.reject(error);
    }
  }

  /** Settles everything pending: the worker is gone. Once; later calls do nothing. */
  dispose(reason: Error): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const g of this.gathers.values()) g.reject(reason);
    this.gathers.clear();
    this.taskPort.close?.();
    this.link.release();
  }

  private encode(ins: Execute, report: ReportMode, blobs?: BlobContents): WireTask {
    const moving = this.moving;
    const before = moving.length;
    let spec: WireSpec;
    if (this.shippedNow.length > 0) this.shippedNow.length = 0;
    try {
      const options = this.encoding;
      options.blobs = blobs;
      options.handedOver = moving;
      spec = encodeSpec(ins.spec, ins.key, options);
    } catch (error) {
      moving.length = before; // a task that is not sent moves nothing
      // ...and sends no source: the next task with these functions must carry them.
      for (const hash of this.shippedNow) this.knownSources.delete(hash);
      if (this.shippedNow.length > 0) this.lastFn = undefined;
      throw error;
    }
    return wireTask(ins.key, spec, ins.fetch, report, ins.hash === true);
  }

  /** The reference to send: full source the first time, then only the hash. */
  private ship(ref: FnRef): FnRef {
    if (ref.kind !== 'source') return ref;
    const known = this.knownSources.get(ref.hash);
    if (known !== undefined) return known;
    this.knownSources.set(ref.hash, { kind: 'source', hash: ref.hash, name: ref.name, source: '' });
    this.shippedNow.push(ref.hash);
    return ref;
  }
}
