/**
 * The backend of `Client.connect`: a WebSocket to a `bask scheduler`. It speaks the wire
 * protocol (wire/protocol.ts): `hello` first (version and token checked by the scheduler),
 * then submissions, gathers and scatters, each a request with an id. The submissions made in
 * one tick travel together (submits.ts: one message, one engine step at the scheduler, each
 * submission still refused or failed alone).
 *
 * Task modules given as file: URLs (a Node client's own modules) are bundled once per
 * connection and uploaded before the first submission that needs them, so workers on other
 * machines can import them, by the bundler the Node entry installs (module-bundler.ts). Files
 * and Blobs go ahead of their submissions as uploads (uploads.ts).
 *
 * Reconnecting (connection.ts): when the socket drops, every pending request rejects with
 * ERR_CONNECTION and the client drops its keys (a restarted scheduler knows none of them);
 * what is asked while reconnecting waits for the new connection, and fails with it when the
 * retries run out. Messages about keys of an older connection (release, cancel...) are not
 * sent on a newer one, and task modules are uploaded again to the new scheduler.
 */
import { deserializeError, taskFailed, type SerializedError } from '../errors.js';
import type { GraphBatch } from '../graph/prepare.js';
import type { ClusterInfo, SubmitOptions } from '../local/backend.js';
import { importTaskModule } from '../worker/builtins.js';
import { CloneEncoder, decodeWithImports, findBlobs } from '../wire/clone.js';
import { decodeFrame, encodeFrame, type FrameData } from '../wire/frame.js';
import type { ClientMessage, KeyReport, SubmitPart, ToClient } from '../wire/protocol.js';
import type { ClientBackend, ClientBackendEvents } from './backend.js';
import {
  Connection,
  type ConnectOptions,
  type ConnectionListener,
  type ConnectionStatus,
} from './connection.js';
import {
  TICK_BYTES,
  TICK_PARTS,
  asError,
  encodeGraph,
  frameBytes,
  modulesToUpload,
  submitPartOf,
  type QueuedSubmit,
} from './submits.js';
import { bundleTaskModule } from './module-bundler.js';
import { BlobSender, dropStale } from './uploads.js';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/** A client's connection to a scheduler. */
export class RemoteBackend implements ClientBackend {
  readonly kind = 'remote';
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Task modules the current scheduler has (uploaded again after a reconnection). */
  private uploaded = new Set<string>();
  /** Submissions go out in call order even when a module upload makes one wait. */
  private ordered: Promise<void> = Promise.resolve();
  /** The submissions of the current tick, not sent yet (submits.ts). */
  private tick: QueuedSubmit[] | undefined;
  private connection!: Connection;
  /** Files and Blobs go ahead of their submissions (uploads.ts). */
  private readonly blobs = new BlobSender(() => this.connection);

  private constructor(private readonly events: ClientBackendEvents) {}

  /** Connects and completes the handshake; rejects with the scheduler's refusal. */
  static async connect(
    address: string,
    events: ClientBackendEvents,
    options: ConnectOptions,
  ): Promise<RemoteBackend> {
    const backend = new RemoteBackend(events);
    backend.connection = await Connection.open(address, options, backend.listener());
    return backend;
  }

  /** The scheduler's address (`ws://host:port`). */
  get address(): string {
    return this.connection.address;
  }

  /** This client's id at the scheduler (it changes with each reconnection). */
  get id(): string {
    return this.connection.id;
  }

  /** 'connected', 'reconnecting' (the scheduler went away; retrying) or 'closed'. */
  get connectionStatus(): ConnectionStatus {
    return this.connection.status;
  }

  submit(batch: GraphBatch, wanted: readonly string[], options: SubmitOptions = {}): Promise<void> {
    // Files and Blobs travel as their bytes: uploaded (or read) first, off the thread's way.
    const blobs = findBlobs(batch.specs);
    const read = blobs.size === 0 ? undefined : this.blobs.send(blobs);
    read?.catch(() => undefined);
    return new Promise<void>((resolve, reject) => {
      let tick = this.tick;
      if (tick === undefined) {
        // The first submission of this tick: the tick goes out after what was asked before it.
        const queued: QueuedSubmit[] = (this.tick = tick = []);
        this.ordered = this.ordered.then(() => this.sendTick(queued));
      }
      tick.push({ batch, wanted, options, read, resolve, reject });
    });
  }

  release(keys: readonly string[]): void {
    this.later({ type: 'release', keys: [...keys] });
  }

  cancel(keys: readonly string[]): void {
    this.later({ type: 'cancel', keys: [...keys] });
  }

  retry(keys: readonly string[]): void {
    this.later({ type: 'retry', keys: [...keys] });
  }

  keep(keys: readonly string[]): void {
    this.later({ type: 'keep', keys: [...keys] });
  }

  /**
   * Sends after any submission still waiting for a module upload (keeps the order); dropped
   * when the connection changed meanwhile (the keys belonged to the old scheduler).
   */
  private later(message: ClientMessage & { keys: string[] }): void {
    if (message.keys.length === 0 || this.connection.status !== 'connected') return;
    // Submissions made after this message must not join a tick sent before it.
    this.tick = undefined;
    const generation = this.connection.generation;
    this.ordered = this.ordered.then(() => {
      if (this.connection.status === 'connected' && this.connection.generation === generation)
        this.send(message);
    });
  }

  async gather(keys: readonly string[]): Promise<Map<string, unknown>> {
    const reply = (await this.request({ type: 'gather', id: 0, keys: [...keys] })) as Extract<
      ToClient,
      { type: 'gathered' }
    >;
    const values = (await decodeWithImports(reply.values, importTaskModule)) as unknown[];
    const missing = new Set(reply.missing);
    const out = new Map<string, unknown>();
    reply.keys.forEach((k, i) => {
      if (!missing.has(k)) out.set(k, values[i]);
    });
    return out;
  }

  async scatter(
    keys: readonly string[],
    values: readonly unknown[],
    options: { workers?: readonly string[]; broadcast?: boolean } = {},
  ): Promise<void> {
    const encoder = new CloneEncoder(false);
    encoder.compactViews = false; // for the wire
    const encoded = values.map((v) => encoder.encode(v));
    const message: ClientMessage = {
      type: 'scatter',
      id: 0,
      keys: [...keys],
      values: encoded,
      ...(options.workers !== undefined ? { workers: [...options.workers] } : {}),
      ...(options.broadcast !== undefined ? { broadcast: options.broadcast } : {}),
    };
    await this.request(message);
  }

  async whoHas(keys: readonly string[]): Promise<Map<string, string[]>> {
    const reply = (await this.request({ type: 'who-has', id: 0, keys: [...keys] })) as Extract<
      ToClient,
      { type: 'answer' }
    >;
    return new Map(Object.entries(reply.value as Record<string, string[]>));
  }

  async info(): Promise<ClusterInfo> {
    const reply = (await this.request({ type: 'info', id: 0 })) as Extract<
      ToClient,
      { type: 'answer' }
    >;
    return reply.value as ClusterInfo;
  }

  /** Round-trip time to the scheduler (milliseconds). */
  async ping(): Promise<number> {
    const start = performance.now();
    await this.request({ type: 'ping', id: 0 });
    return performance.now() - start;
  }

  /** Sends what is still queued (submissions waiting for uploads), then disconnects. */
  async close(): Promise<void> {
    // Submissions waiting for a reconnection would wait for the retries: stop those first.
    if (this.connection.status !== 'connected') this.connection.close();
    await this.ordered;
    this.connection.close();
  }

  // ---- plumbing ----------------------------------------------------------------------------

  private send(message: ClientMessage): void {
    this.connection.send(encodeFrame(message));
  }

  /** Sends a request once connected (waiting through a reconnection); settles on its answer. */
  private async request(message: ClientMessage & { id: number }): Promise<unknown> {
    await this.connection.ready();
    const id = this.nextId++;
    return this.sendRequest(id, encodeFrame({ ...message, id }));
  }

  /** Sends an encoded request (its id is `id`); settles on its answer. */
  private sendRequest(id: number, chunks: readonly Uint8Array[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        this.connection.send(chunks);
      } catch (error) {
        this.pending.delete(id);
        reject(asError(error));
      }
    });
  }

  /**
   * Sends a tick's submissions (submits.ts): each encoded and its modules uploaded (one that
   * fails fails alone), then as few messages as the caps allow. Never rejects.
   */
  private async sendTick(queued: QueuedSubmit[]): Promise<void> {
    if (this.tick === queued) this.tick = undefined;
    let parts: SubmitPart[] = [];
    let owners: QueuedSubmit[] = [];
    /** The connection generation each part's uploads belong to (-1: none). */
    let uploadedIn: number[] = [];
    const flush = (): void => {
      // A part whose uploads an older connection took would refer to bytes this one lacks.
      [parts, owners] = dropStale(parts, owners, uploadedIn, this.connection.generation);
      for (let start = 0; start < parts.length; start += TICK_PARTS) {
        const end = Math.min(parts.length, start + TICK_PARTS);
        this.sendParts(parts.slice(start, end), owners.slice(start, end));
      }
      parts = [];
      owners = [];
      uploadedIn = [];
    };
    for (const q of queued) {
      // The parts ready go before one whose Files are on their way: an early group's results
      // must not wait for a later group's upload.
      if (q.read !== undefined && parts.length > 0) flush();
      try {
        if (this.connection.status !== 'connected') await this.connection.ready();
        const sent = q.read === undefined ? undefined : await this.blobs.fresh(await q.read);
        const graph = encodeGraph(q.batch, sent?.contents);
        const modules = modulesToUpload(graph, this.uploaded);
        if (modules.length > 0) await this.uploadModules(modules);
        parts.push(submitPartOf(graph, q));
        owners.push(q);
        uploadedIn.push(sent?.generation ?? -1);
      } catch (error) {
        q.reject(asError(error));
      }
    }
    flush();
  }

  /** Sends submissions as one message (cut in two while too big); settles each by the answer. */
  private sendParts(parts: SubmitPart[], owners: QueuedSubmit[]): void {
    const id = this.nextId++;
    const message: ClientMessage =
      parts.length === 1
        ? { type: 'submit', id, ...(parts[0] as SubmitPart) }
        : { type: 'submits', id, parts };
    const chunks = encodeFrame(message);
    if (parts.length > 1 && frameBytes(chunks) > TICK_BYTES) {
      const half = parts.length >> 1;
      this.sendParts(parts.slice(0, half), owners.slice(0, half));
      this.sendParts(parts.slice(half), owners.slice(half));
      return;
    }
    this.sendRequest(id, chunks).then(
      (answer) => {
        const failed = (answer as Extract<ToClient, { type: 'submitted' }>).failed;
        const errors = new Map(failed?.map((f) => [f.index, f.error]));
        owners.forEach((q, i) => {
          const error = errors.get(i);
          if (error === undefined) q.resolve();
          else q.reject(deserializeError(error));
        });
      },
      (error: unknown) => {
        for (const q of owners) q.reject(asError(error));
      },
    );
  }

  private settle(id: number, error: SerializedError | undefined, value: unknown): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    if (error !== undefined) p.reject(deserializeError(error));
    else p.resolve(value);
  }

  private onMessage(data: FrameData): void {
    let message: ToClient;
    try {
      message = decodeFrame(data) as ToClient;
    } catch {
      this.connection.drop(1002, 'malformed message from scheduler');
      return;
    }
    switch (message.type) {
      case 'report':
        void this.report(message);
        return;
      case 'reports':
        for (const report of message.reports) void this.report(report);
        return;
      case 'task-events':
        this.events.taskEvents?.(message.events);
        return;
      case 'submitted':
        this.settle(message.id, message.error, message);
        return;
      case 'scattered':
        this.settle(message.id, message.error, undefined);
        return;
      case 'gathered':
      case 'answer':
      case 'pong':
        this.settle(message.id, undefined, message);
        return;
    }
  }

  private async report(message: KeyReport): Promise<void> {
    if (message.state === 'erred') {
      const error = taskFailed(message.blame, deserializeError(message.error));
      this.events.report({ key: message.key, state: 'erred', error, blame: message.blame });
    } else if (message.state === 'lost') {
      this.events.report({ key: message.key, state: 'lost' });
    } else {
      const carried = message as { value?: unknown; hasValue?: boolean };
      let value: unknown;
      let hasValue = carried.hasValue === true;
      if (hasValue) {
        try {
          value = await decodeWithImports(carried.value, importTaskModule);
        } catch {
          hasValue = false;
        }
      }
      this.events.report({
        key: message.key,
        state: 'memory',
        nbytes: message.nbytes,
        value,
        hasValue,
      });
    }
  }

  private listener(): ConnectionListener {
    return {
      message: (data) => this.onMessage(data),
      disconnected: (error) => {
        this.rejectPending(error);
        this.events.disconnected?.(error);
      },
      reconnected: () => (this.uploaded = new Set()),
      closed: (error) => {
        this.rejectPending(error);
        this.events.closed(error);
      },
    };
  }

  /** Every request in flight rejects: its answer would come on a socket that is gone. */
  private rejectPending(error: Error): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(error);
  }

  /** Bundles and uploads task modules (file: URLs) the scheduler does not have yet. */
  private async uploadModules(urls: readonly string[]): Promise<void> {
    for (const url of urls) {
      if (this.uploaded.has(url)) continue;
      const code = await bundleTaskModule(url);
      this.send({ type: 'module', url, code });
      this.uploaded.add(url);
    }
  }
}

/** Encodes a batch's specs for the wire (submits.ts; exported here for older importers). */
export { encodeGraph } from './submits.js';
