/**
 * The backend of `Client.connect`: a WebSocket to a `bask scheduler`. It speaks the wire
 * protocol (wire/protocol.ts): `hello` first (version and token checked by the scheduler),
 * then submissions, gathers and scatters, each a request with an id.
 *
 * Task modules given as file: URLs (a Node client's own modules) are bundled once per
 * connection and uploaded before the first submission that needs them, so workers on other
 * machines can import them. The bundler is injected by the Node entry (`setModuleBundler`):
 * this module never imports Node-only code, so browser bundles stay free of it.
 *
 * Reconnecting (connection.ts): when the socket drops, every pending request rejects with
 * ERR_CONNECTION and the client drops its keys (a restarted scheduler knows none of them);
 * what is asked while reconnecting waits for the new connection, and fails with it when the
 * retries run out. Messages about keys of an older connection (release, cancel...) are not
 * sent on a newer one, and task modules are uploaded again to the new scheduler.
 */
import { BaskError, deserializeError, taskFailed, type SerializedError } from '../errors.js';
import type { FnRef } from '../graph/fnref.js';
import type { GraphBatch } from '../graph/prepare.js';
import type { ClusterInfo, SubmitOptions } from '../local/backend.js';
import { importTaskModule } from '../worker/builtins.js';
import { CloneEncoder, MARK, decodeWithImports, findBlobs } from '../wire/clone.js';
import { decodeFrame, encodeFrame } from '../wire/frame.js';
import type { ClientMessage, ToClient, WireGraph } from '../wire/protocol.js';
import { encodeSpec } from '../wire/spec-codec.js';
import type { ClientBackend, ClientBackendEvents } from './backend.js';
import {
  Connection,
  type ConnectOptions,
  type ConnectionListener,
  type ConnectionStatus,
} from './connection.js';

/** Turns a task module (a file: URL) into one self-contained ES module text for workers. */
export type ModuleBundler = (url: string) => Promise<string>;

let moduleBundler: ModuleBundler | undefined;

/** Installs the task-module bundler (the Node entry does; browsers have none). */
export function setModuleBundler(bundler: ModuleBundler): void {
  moduleBundler = bundler;
}

/** The module at `url` bundled; fails with ERR_UNSHIPPABLE_FUNCTION where nothing can bundle. */
function bundleTaskModule(url: string): Promise<string> {
  if (moduleBundler !== undefined) return moduleBundler(url);
  return Promise.reject(
    new BaskError(
      'ERR_UNSHIPPABLE_FUNCTION',
      `Task module ${url} is a file: URL (in a browser bundle, usually import.meta.url as the bundler baked it in): ` +
        'workers elsewhere cannot import it, and only a Node client can bundle and upload it. ' +
        'From a browser, name task modules by an http(s) URL the workers can import, or submit from Node',
    ),
  );
}

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
  private connection!: Connection;

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
    // Files and Blobs travel as their bytes: read them first (off the main thread's way).
    const blobs = findBlobs(batch.specs);
    const read = blobs.size === 0 ? Promise.resolve(undefined) : readBlobs(blobs);
    let accepted: Promise<unknown> = Promise.resolve();
    // Sent in call order even when a read or a module upload makes one wait.
    this.ordered = this.ordered.then(async () => {
      await this.connection.ready();
      const graph = encodeGraph(batch, await read);
      await this.uploadModules(graph);
      const perKey = options.perKey === undefined ? undefined : Object.fromEntries(options.perKey);
      accepted = this.request({
        type: 'submit',
        id: 0,
        graph,
        wanted: [...wanted],
        ...(perKey !== undefined ? { options: perKey } : {}),
        ...(options.defaults !== undefined ? { defaults: options.defaults } : {}),
        ...(options.progress === true ? { progress: true } : {}),
      });
      accepted.catch(() => undefined);
    });
    const sent = this.ordered;
    this.ordered = sent.catch(() => undefined);
    return sent.then(() => accepted).then(() => undefined);
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
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        this.send({ ...message, id } as ClientMessage);
      } catch (error) {
        this.pending.delete(id);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  private settle(id: number, error: SerializedError | undefined, value: unknown): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    if (error !== undefined) p.reject(deserializeError(error));
    else p.resolve(value);
  }

  private onMessage(data: Uint8Array): void {
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
      case 'task-events':
        this.events.taskEvents?.(message.events);
        return;
      case 'submitted':
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

  private async report(message: Extract<ToClient, { type: 'report' }>): Promise<void> {
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

  private async uploadModules(graph: WireGraph): Promise<void> {
    const urls = new Set<string>();
    for (const spec of graph.specs) {
      if (spec.fn !== null) addModule(spec.fn, urls);
      if (spec.marked) for (const a of spec.args) collectModules(a, urls);
    }
    for (const url of urls) {
      if (this.uploaded.has(url) || !url.startsWith('file:')) continue;
      const code = await bundleTaskModule(url);
      this.send({ type: 'module', url, code });
      this.uploaded.add(url);
    }
  }
}

function addModule(fn: FnRef, urls: Set<string>): void {
  if (fn.kind === 'module') urls.add(fn.module);
}

function collectModules(value: unknown, urls: Set<string>): void {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return;
  if (Array.isArray(value)) {
    for (const v of value) collectModules(v, urls);
    return;
  }
  const record = value as Record<string, unknown>;
  // Task functions and callbacks in args both name their module.
  if (record[MARK] === 'task' || record[MARK] === 'fn') addModule(record['fn'] as FnRef, urls);
  if (record[MARK] === 'type' && typeof record['module'] === 'string') urls.add(record['module']);
  for (const v of Object.values(record)) collectModules(v, urls);
}

/** Blob reads in flight at once while a submission's files are read. */
const READS_IN_FLIGHT = 8;

/**
 * The bytes of a submission's Files and Blobs, read a few at a time: thousands of reads
 * started at once all land on the page's thread together (one long task) and hold every
 * buffer at the same moment. A caller that wants files to stream sends them in several
 * submissions (runSpreads keeps a window of files in flight), so each read here is small.
 */
async function readBlobs(blobs: Set<Blob>): Promise<Map<Blob, Uint8Array>> {
  const queue = [...blobs];
  const out = new Map<Blob, Uint8Array>();
  const lane = async (): Promise<void> => {
    for (let b = queue.pop(); b !== undefined; b = queue.pop()) {
      out.set(b, new Uint8Array(await b.arrayBuffer()));
    }
  };
  await Promise.all(Array.from({ length: Math.min(READS_IN_FLIGHT, queue.length) }, lane));
  return out;
}

/** Encodes a batch's specs for the wire; throws ERR_UNSHIPPABLE_FUNCTION for bad functions. */
export function encodeGraph(batch: GraphBatch, blobs?: ReadonlyMap<Blob, Uint8Array>): WireGraph {
  return {
    keys: [...batch.keys],
    specs: batch.specs.map((spec, i) =>
      encodeSpec(spec, batch.keys[i] as string, undefined, blobs),
    ),
    depStart: batch.depStart,
    depList: batch.depList,
    external: [...batch.external],
  };
}
