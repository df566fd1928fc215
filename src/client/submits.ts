/**
 * A remote client's submissions on their way to the wire: each call's graph encoded (Files and
 * Blobs as their bytes, functions as shippable references), the task modules it names, and the
 * submissions of one tick cut into messages.
 *
 * Policy: every `submit` made in one synchronous run of code (a loop of `client.submit`, a
 * `map`, a `compute`) joins one tick; the tick goes out as `submits` messages of at most
 * TICK_PARTS submissions and about TICK_BYTES each (a lone one as a plain `submit`), in call
 * order. Each submission keeps its own fate: one that cannot be encoded (an unshippable
 * function), or that the scheduler refuses (ERR_LIMIT), fails alone; the others go on.
 *
 * Invariant: every queued submission is settled exactly once (sent and answered, refused, or
 * failed with the connection).
 */
import type { FnRef } from '../graph/fnref.js';
import type { GraphBatch } from '../graph/prepare.js';
import type { SubmitOptions } from '../local/backend.js';
import { MARK, type BlobContents } from '../wire/clone.js';
import type { SubmitPart, WireGraph } from '../wire/protocol.js';
import { encodeSpec } from '../wire/spec-codec.js';
import type { SentBlobs } from './uploads.js';

/**
 * Most submissions in one `submits` message. msgpackr's cost per part grows with the message
 * (measured: ~4-8 µs per part up to 256 parts, 14-40 µs at 1-2k), so a tick of 10k submits
 * goes out as ~40 messages of 256 rather than a few big ones.
 */
export const TICK_PARTS = 256;
/** A `submits` message above this size (bytes) is cut in two (a scheduler may cap messages). */
export const TICK_BYTES = 512 * 1024;

/** A submission waiting for its tick to be sent; settled once. */
export interface QueuedSubmit {
  readonly batch: GraphBatch;
  readonly wanted: readonly string[];
  readonly options: SubmitOptions;
  /** Its Files and Blobs, being uploaded or read (undefined when it has none; uploads.ts). */
  readonly read: Promise<SentBlobs> | undefined;
  resolve(): void;
  reject(error: Error): void;
}

/** The wire form of a submission whose graph is encoded. */
export function submitPartOf(graph: WireGraph, queued: QueuedSubmit): SubmitPart {
  const { wanted, options } = queued;
  const part: SubmitPart = { graph, wanted: [...wanted] };
  if (options.perKey !== undefined && options.perKey.size > 0)
    part.options = Object.fromEntries(options.perKey);
  if (options.defaults !== undefined) part.defaults = options.defaults;
  if (options.progress === true) part.progress = true;
  return part;
}

/** Encodes a batch's specs for the wire; throws ERR_UNSHIPPABLE_FUNCTION for bad functions. */
export function encodeGraph(batch: GraphBatch, blobs?: BlobContents): WireGraph {
  return {
    keys: [...batch.keys],
    specs: batch.specs.map((spec, i) =>
      encodeSpec(spec, batch.keys[i] as string, { blobs, wire: true }),
    ),
    depStart: batch.depStart,
    depList: batch.depList,
    external: [...batch.external],
  };
}

/** The file: task modules a graph names that `uploaded` does not have yet. */
export function modulesToUpload(graph: WireGraph, uploaded: ReadonlySet<string>): string[] {
  const urls = new Set<string>();
  for (const spec of graph.specs) {
    if (spec.fn !== null) addModule(spec.fn, urls);
    if (spec.marked) for (const a of spec.args) collectModules(a, urls);
  }
  return [...urls].filter((url) => !uploaded.has(url) && url.startsWith('file:'));
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

/** The byte length of an encoded frame. */
export function frameBytes(chunks: readonly Uint8Array[]): number {
  let n = 0;
  for (const c of chunks) n += c.byteLength;
  return n;
}

/** An error as an Error. */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
