/**
 * Every message a connection sends is checked here before it touches the engine: its shape
 * against the schema for the connection's role (src/wire/schemas.ts, one source with the
 * protocol's types), and a submitted graph's consistency (dependency rows in bounds and pointing
 * backwards, unique keys). What fails is refused with a reason; the caller closes that
 * connection (`CLOSE.invalid`) and counts it.
 */
import type { z } from 'zod';
import type {
  ClientMessage,
  FromWorkerProcess,
  Hello,
  SubmitPart,
  WireGraph,
} from '../../src/wire/protocol.js';
import { clientMessageSchema, helloSchema, workerMessageSchema } from '../../src/wire/schemas.js';

/** The outcome of a check: the message, or why it is refused. */
export type Checked<T> = { ok: true; message: T } | { ok: false; reason: string };

function check<T>(schema: z.ZodType<T>, value: unknown): Checked<T> {
  const result = schema.safeParse(value);
  // The message itself, not zod's copy: the schema's output is T (schemas.ts checks that at
  // compile time), and a large submission is not copied twice.
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
  return check(helloSchema, value);
}

/** Checks a client's message; a submission's graph is checked for consistency too. */
export function checkClientMessage(value: unknown): Checked<ClientMessage> {
  const checked = check(clientMessageSchema, value);
  if (!checked.ok) return checked;
  const message = checked.message;
  if (message.type === 'submit') {
    const problem = graphProblem(message.graph);
    return problem === undefined ? checked : { ok: false, reason: `graph: ${problem}` };
  }
  if (message.type === 'submits') {
    for (let i = 0; i < message.parts.length; i++) {
      const problem = graphProblem((message.parts[i] as SubmitPart).graph);
      if (problem !== undefined) return { ok: false, reason: `parts.${i}.graph: ${problem}` };
    }
  }
  return checked;
}

/** Checks a worker process's message. */
export function checkWorkerMessage(value: unknown): Checked<FromWorkerProcess> {
  return check(workerMessageSchema, value);
}

/** Why a submitted graph is inconsistent, or undefined when it is fine. */
export function graphProblem(graph: WireGraph): string | undefined {
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
