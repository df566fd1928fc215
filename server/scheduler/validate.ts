/**
 * Every message a connection sends is checked here before it touches the engine: its shape
 * against the protocol's types for the connection's role (zod schemas), and a submitted graph's
 * consistency (dependency rows in bounds and pointing backwards, unique keys). What fails is
 * refused with a reason; the caller closes that connection (close code 4002) and counts it.
 *
 * Values inside messages (task args, results) stay opaque: they are checked only for being
 * there. Limits keep one message from costing much: key and name lengths, task counts.
 */
import { z } from 'zod';
import type { ClientMessage, FromWorkerProcess, Hello } from '../../src/wire/protocol.js';

const MAX_KEY = 4096;
const MAX_NAME = 256;
const key = z.string().min(1).max(MAX_KEY);
const keys = z.array(key);
const id = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const count = z.number().finite().nonnegative();
const name = z.string().max(MAX_NAME);
const int32s = z.instanceof(Int32Array);

const fnRef = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('op'), op: name }),
  z.object({ kind: z.literal('module'), module: z.string().min(1).max(4096), name }),
  z.object({
    kind: z.literal('source'),
    source: z.string().max(4_000_000),
    hash: z.string().max(64),
    name,
  }),
]);

const wireSpec = z.object({
  fn: fnRef.nullable(),
  args: z.array(z.unknown()),
  marked: z.boolean(),
});

const taskOptions = z
  .object({
    priority: z.number().finite().optional(),
    retries: z.number().int().min(0).max(100).optional(),
    workers: z.array(name).max(10_000).optional(),
    allowOtherWorkers: z.boolean().optional(),
    resources: z.record(name, count).optional(),
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

const serializedError: z.ZodType<unknown> = z.lazy(() =>
  z.object({
    name: z.string().max(MAX_NAME),
    message: z.string().max(100_000),
    stack: z.string().max(100_000).optional(),
    code: z.string().max(MAX_NAME).optional(),
    key: key.optional(),
    cause: serializedError.optional(),
  }),
);

const clientMessage = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('submit'),
    id,
    graph: wireGraph,
    wanted: keys,
    options: z.record(key, taskOptions).optional(),
    defaults: taskOptions.optional(),
    keep: keys.optional(),
    progress: z.boolean().optional(),
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
    values: z.array(z.unknown()),
    workers: z.array(name).optional(),
    broadcast: z.boolean().optional(),
  }),
  z.object({
    type: z.literal('module'),
    url: z.string().min(1).max(4096),
    code: z.string().max(50_000_000),
  }),
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
});

const workerMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('results'), worker: name, results: z.array(taskResult) }),
  z.object({ type: z.literal('gathered'), id, values: z.array(z.unknown()), missing: keys }),
  z.object({ type: z.literal('relay-fetch'), id, to: name, keys, move: z.array(z.boolean()) }),
  z.object({
    type: z.literal('relay-data'),
    id,
    to: name,
    values: z.array(z.unknown()),
    missing: keys,
  }),
  z.object({
    type: z.literal('heartbeat'),
    metrics: z.object({
      memory: count,
      threads: z.record(name, z.object({ keys: count, tasksDone: count })),
      bytesIn: z.record(name, count),
      bytesOut: z.record(name, count),
      spilled: count.optional(),
    }),
  }),
  z.object({ type: z.literal('put-done'), id }),
  z.object({ type: z.literal('thread-exit'), worker: name, running: key.optional() }),
  z.object({ type: z.literal('thread-ready'), worker: name }),
  z.object({ type: z.literal('signal'), to: name, data: z.unknown() }),
  z.object({ type: z.literal('missing-module'), url: z.string().max(4096) }),
]);

const hello = z.object({
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

/** The outcome of a check: the message, or why it is refused. */
export type Checked<T> = { ok: true; message: T } | { ok: false; reason: string };

function check<T>(schema: z.ZodType<unknown>, value: unknown): Checked<T> {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, message: value as T };
  const issue = result.error.issues[0];
  const where = issue === undefined ? '' : issue.path.join('.');
  return {
    ok: false,
    reason: `${where === '' ? 'message' : where}: ${issue?.message ?? 'invalid'}`,
  };
}

/** Checks a `hello`. */
export function checkHello(value: unknown): Checked<Hello> {
  return check<Hello>(hello, value);
}

/** Checks a client's message; a submission's graph is checked for consistency too. */
export function checkClientMessage(value: unknown): Checked<ClientMessage> {
  const checked = check<ClientMessage>(clientMessage, value);
  if (!checked.ok || checked.message.type !== 'submit') return checked;
  const problem = graphProblem(checked.message.graph);
  return problem === undefined ? checked : { ok: false, reason: `graph: ${problem}` };
}

/** Checks a worker process's message. */
export function checkWorkerMessage(value: unknown): Checked<FromWorkerProcess> {
  return check<FromWorkerProcess>(workerMessage, value);
}

/** Why a submitted graph is inconsistent, or undefined when it is fine. */
export function graphProblem(
  graph: Extract<ClientMessage, { type: 'submit' }>['graph'],
): string | undefined {
  const { keys: ks, specs, depStart, depList, external } = graph;
  const n = ks.length;
  if (specs.length !== n) return `${specs.length} specs for ${n} keys`;
  if (depStart.length !== n + 1 || depStart[0] !== 0 || depStart[n] !== depList.length)
    return 'dependency rows do not match the keys';
  for (let i = 0; i < n; i++) {
    const from = depStart[i] as number;
    const to = depStart[i + 1] as number;
    if (to < from) return `dependency row ${i} is negative`;
    for (let e = from; e < to; e++) {
      const d = depList[e] as number;
      // Dependencies come before their dependents (priority order), or are external keys.
      if (d >= i || (d < 0 && -d - 1 >= external.length))
        return `task ${i} has an out-of-range dependency ${d}`;
    }
  }
  if (new Set(ks).size !== n) return 'duplicate keys';
  return undefined;
}
