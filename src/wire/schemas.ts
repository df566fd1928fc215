/**
 * The runtime checks of the protocol in protocol.ts: zod schemas for what a scheduler accepts
 * (`hello`, client messages, worker-process messages). Only the scheduler imports this module,
 * so zod never reaches a browser bundle.
 *
 * One source: each schema is held against its type at compile time (`Same` below), so a message
 * changed in protocol.ts and not here, or here and not there, fails the build.
 *
 * Policy: values inside messages (task args, results) stay opaque; limits keep one message from
 * costing much (key and name lengths, task counts). A graph's consistency is checked apart
 * (server/scheduler/validate.ts `graphProblem`).
 */
import { z } from 'zod';
import type { SerializedError } from '../errors.js';
import type { TaskOptions } from '../engine/types.js';
import type { FnRef } from '../graph/fnref.js';
import type { TaskResult } from './pool-protocol.js';
import type {
  ClientMessage,
  FromWorkerProcess,
  Hello,
  SubmitPart,
  WireGraph,
  WireSpec,
} from './protocol.js';

const MAX_KEY = 4096;
const MAX_NAME = 256;
const key = z.string().min(1).max(MAX_KEY);
const keys = z.array(key);
const id = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const count = z.number().finite().nonnegative();
const name = z.string().max(MAX_NAME);
/** Any Int32Array (`z.instanceof` would narrow it to one backed by an ArrayBuffer). */
const int32s = z.custom<Int32Array>((v) => v instanceof Int32Array, 'expected an Int32Array');
const values = z.array(z.unknown());
const url = z.string().min(1).max(4096);

const fnRef = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('op'), op: name }).readonly(),
  z.object({ kind: z.literal('module'), module: url, name }).readonly(),
  z
    .object({
      kind: z.literal('source'),
      source: z.string().max(4_000_000),
      hash: z.string().max(64),
      name,
    })
    .readonly(),
]);

const wireSpec = z.union([
  z.object({ fn: fnRef, args: values, marked: z.boolean() }),
  z.object({ fn: z.null(), args: values, marked: z.boolean() }),
]);

const taskOptions = z
  .object({
    priority: z.number().finite().optional(),
    retries: z.number().int().min(0).max(100).optional(),
    workers: z.array(name).max(10_000).readonly().optional(),
    allowOtherWorkers: z.boolean().optional(),
    resources: z.record(name, count).readonly().optional(),
    verify: z.number().int().min(1).max(16).optional(),
    timeout: z.number().finite().positive().optional(),
  })
  .strict();

const wireGraph = z.object({
  keys,
  specs: z.array(wireSpec),
  depStart: int32s,
  depList: int32s,
  external: keys,
});

const serializedError: z.ZodType<SerializedError> = z.lazy(() =>
  z.object({
    name: z.string().max(MAX_NAME),
    message: z.string().max(100_000),
    stack: z.string().max(100_000).optional(),
    code: z.string().max(MAX_NAME).optional(),
    key: key.optional(),
    cause: serializedError.optional(),
  }),
);

/** Most submissions in one `submits` message (a client sends at most a few thousand). */
const MAX_PARTS = 100_000;

const submitPart = z.object({
  graph: wireGraph,
  wanted: keys,
  options: z.record(key, taskOptions).optional(),
  defaults: taskOptions.optional(),
  keep: keys.optional(),
  progress: z.boolean().optional(),
});

/** A client's message (a submitted graph's consistency is checked apart). */
export const clientMessageSchema = z.discriminatedUnion('type', [
  submitPart.extend({ type: z.literal('submit'), id }),
  z.object({
    type: z.literal('submits'),
    id,
    parts: z.array(submitPart).min(1).max(MAX_PARTS),
  }),
  z.object({ type: z.literal('release'), keys }),
  z.object({ type: z.literal('cancel'), keys }),
  z.object({ type: z.literal('retry'), keys }),
  z.object({ type: z.literal('keep'), keys }),
  z.object({ type: z.literal('gather'), id, keys }),
  z.object({
    type: z.literal('scatter'),
    id,
    keys,
    values,
    workers: z.array(name).optional(),
    broadcast: z.boolean().optional(),
  }),
  z.object({ type: z.literal('module'), url, code: z.string().max(50_000_000) }),
  z.object({ type: z.literal('who-has'), id, keys }),
  z.object({ type: z.literal('info'), id }),
  z.object({ type: z.literal('ping'), id }),
]);

const taskResult = z.object({
  key,
  start: z.number().finite(),
  end: z.number().finite(),
  nbytes: count.optional(),
  value: z.unknown().optional(),
  hasValue: z.boolean().optional(),
  hash: z.string().max(128).optional(),
  error: serializedError.optional(),
  missing: z.array(z.object({ key, from: name })).optional(),
  forged: z.array(z.object({ key, from: name })).optional(),
});

/** A worker process's message. */
export const workerMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('results'), worker: name, results: z.array(taskResult) }),
  z.object({ type: z.literal('gathered'), id, values, missing: keys }),
  z.object({ type: z.literal('relay-fetch'), id, to: name, keys, move: z.array(z.boolean()) }),
  z.object({ type: z.literal('relay-data'), id, to: name, values, missing: keys }),
  z.object({
    type: z.literal('heartbeat'),
    metrics: z.object({
      memory: count,
      bytesIn: z.record(name, count),
      bytesOut: z.record(name, count),
      spilled: count.optional(),
      paused: z.boolean().optional(),
      terminating: z.boolean().optional(),
    }),
  }),
  z.object({ type: z.literal('put-done'), id }),
  z.object({ type: z.literal('thread-exit'), worker: name, running: key.optional() }),
  z.object({ type: z.literal('thread-ready'), worker: name }),
  z.object({ type: z.literal('signal'), to: name, data: z.unknown() }),
]);

/** The first message on every connection. */
export const helloSchema = z.object({
  type: z.literal('hello'),
  version: z.number(),
  role: z.enum(['client', 'worker', 'dashboard']),
  token: z.string().max(4096).optional(),
  name: name.optional(),
  worker: z
    .object({
      nthreads: z.number().int().min(1).max(1024),
      memoryLimit: count,
      resources: z.record(name, count),
      host: name,
      peerAddress: z
        .string()
        .max(2048)
        .regex(/^wss?:\/\//)
        .optional(),
      kind: z.enum(['node', 'browser']),
    })
    .optional(),
});

// ---- one source: each schema accepts exactly its type ----------------------------------

/** True when A and B are the same type (optional fields and readonly-ness included). */
type Same<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Compiles only for `true`. */
type Holds<T extends true> = T;

/** Compile-time checks (a type error here: protocol.ts and these schemas have drifted). */
export type SchemasMatchProtocol = [
  Holds<Same<z.output<typeof fnRef>, FnRef>>,
  Holds<Same<z.output<typeof wireSpec>, WireSpec>>,
  Holds<Same<z.output<typeof taskOptions>, TaskOptions>>,
  Holds<Same<z.output<typeof wireGraph>, WireGraph>>,
  Holds<Same<z.output<typeof submitPart>, SubmitPart>>,
  Holds<Same<z.output<typeof taskResult>, TaskResult>>,
  Holds<Same<z.output<typeof clientMessageSchema>, ClientMessage>>,
  Holds<Same<z.output<typeof workerMessageSchema>, FromWorkerProcess>>,
  Holds<Same<z.output<typeof helloSchema>, Hello>>,
];
